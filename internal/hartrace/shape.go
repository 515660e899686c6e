package hartrace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// shape returns a JSON response body with the values of its records replaced: every string
// inside an array becomes "[redacted: N bytes]", every number 0 and every boolean false. The
// envelope, everything outside an array (counts, cursors, an error's code and message, a token
// response, whose credentials are redacted later as in any text), is kept, and so is the
// structure of the records: their member names, the type of each value, the length of each
// string and the number of elements of each array. A vendor's page holds its records in
// arrays, and the records carry the personal data (names, e-mails, addresses, user agents) that
// a trace attached to a bug report must not.
//
// A body cut short (the recorder keeps the start of each) yields the values before the cut,
// and complete is false; so does a body that stops being JSON. ok is false when data does not
// start as JSON at all.
func shape(data []byte) (text string, complete, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		n      int  // members or elements written
		value  bool // in an object: the next token is a member's value
	}
	var (
		out    bytes.Buffer
		stack  []frame
		arrays int // arrays open: inside one, values are a record's
		tokens int
	)
	for {
		tok, err := dec.Token()
		if err != nil {
			if tokens == 0 {
				return "", false, false
			}
			return out.String(), errors.Is(err, io.EOF) && len(stack) == 0, true
		}
		tokens++
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if d, isDelim := tok.(json.Delim); isDelim && (d == '}' || d == ']') {
				out.WriteByte(byte(d))
				if d == ']' {
					arrays--
				}
				stack = stack[:len(stack)-1]
				if len(stack) > 0 {
					stack[len(stack)-1].value = false
				}
				continue
			}
			if top.object && !top.value { // a member name
				if top.n > 0 {
					out.WriteByte(',')
				}
				top.n++
				top.value = true
				writeJSONString(&out, fmt.Sprint(tok))
				out.WriteByte(':')
				continue
			}
			if !top.object {
				if top.n > 0 {
					out.WriteByte(',')
				}
				top.n++
			}
		}
		switch v := tok.(type) {
		case json.Delim: // { or [; the member's value ends when it closes
			out.WriteByte(byte(v))
			stack = append(stack, frame{object: v == '{'})
			if v == '[' {
				arrays++
			}
			continue
		case string:
			if arrays > 0 {
				v = fmt.Sprintf("[redacted: %d bytes]", len(v))
			}
			writeJSONString(&out, v)
		case json.Number:
			if arrays > 0 {
				v = "0"
			}
			out.WriteString(v.String())
		case bool:
			fmt.Fprint(&out, v && arrays == 0)
		case nil:
			out.WriteString("null")
		}
		if len(stack) > 0 {
			stack[len(stack)-1].value = false
		}
	}
}

func writeJSONString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out.Truncate(out.Len() - 1) // the encoder's newline
}
