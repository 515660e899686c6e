package failkind

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheOutermostTagWinsAndTheMessageIsKept(t *testing.T) {
	inner := Tag(Connection, errors.New("dial tcp 127.0.0.1:1: connection refused"))
	outer := Tag(Authentication, fmt.Errorf("token: %w", inner))

	g, ok := Of(outer)
	require.True(t, ok)
	assert.Equal(t, Authentication, g)
	g, _ = Of(inner)
	assert.Equal(t, Connection, g)
	assert.Equal(t, "token: dial tcp 127.0.0.1:1: connection refused", outer.Error(), "a tag adds nothing to the message")
}

func TestUntaggedAndNil(t *testing.T) {
	_, ok := Of(errors.New("plain"))
	assert.False(t, ok)
	assert.NoError(t, Tag(Configuration, nil))
}
