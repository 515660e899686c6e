package httpapi

import (
	"fmt"
	"math"
	"strconv"
)

// TooLargeError is a response body larger than the client's MaxResponseBytes. It is not
// retried: the same request would bring the same body.
type TooLargeError struct {
	Op    string
	Limit int64
	// Announced is the Content-Length the server sent, 0 when it sent none; the body was then
	// read up to the limit.
	Announced int64
}

func (e *TooLargeError) Error() string {
	body := "the response body"
	if e.Announced > 0 {
		body = fmt.Sprintf("the response body (%d bytes announced)", e.Announced)
	}
	return fmt.Sprintf("%s: %s is larger than %d bytes%s, the limit that keeps a response within bounded memory",
		e.Op, body, e.Limit, mib(e.Limit))
}

// mib writes n bytes in MiB, to two decimals, for a limit of a MiB or more: " (6.25 MiB)".
func mib(n int64) string {
	if n < 1<<20 {
		return ""
	}
	return " (" + strconv.FormatFloat(math.Round(float64(n)/(1<<20)*100)/100, 'f', -1, 64) + " MiB)"
}
