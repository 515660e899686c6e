package confkeys

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// maxQuoted is the longest value an error message quotes. The values an enumerated setting
// accepts are short; a long one is most likely a credential pasted into the wrong setting.
const maxQuoted = 24

// Quote is how an error message shows the value of an enumerated setting: quoted when short,
// else only by its length, so that a key pasted into security_level is not echoed. The
// receivers also scrub every configured secret from their validation errors (HideSecrets).
func Quote(v string) string {
	if utf8.RuneCountInString(v) <= maxQuoted {
		return strconv.Quote(v)
	}
	return fmt.Sprintf("a value of %d characters (not shown: it may be a secret pasted into the wrong setting)", utf8.RuneCountInString(v))
}
