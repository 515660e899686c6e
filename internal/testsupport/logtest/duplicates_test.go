package logtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDuplicatesListsEachRepeatedIDOnce(t *testing.T) {
	assert.Empty(t, Duplicates(nil))
	assert.Empty(t, Duplicates([]string{"a", "b", "c"}))
	assert.Equal(t, []string{"b", "a"}, Duplicates([]string{"a", "b", "b", "a", "b", "c", "a"}),
		"in the order of their second occurrence, however often they come")
}
