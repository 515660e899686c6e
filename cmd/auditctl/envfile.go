package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// readEnvFile reads an environment file the way systemd reads EnvironmentFile= (the packages'
// unit reads /etc/otelcol-audit/otelcol-audit.env so), so that auditctl tests the very
// credentials the service uses. No shell runs it: $, backticks and spaces are kept as written,
// where `. FILE` in a shell would expand them, or run them.
//
// As systemd: one NAME=value a line; lines starting with # or ; are comments, and so are lines
// without =; white space around the name and an unquoted value is dropped; a value may be
// quoted, 'literally' or "with \" \\ \` \$ escaped"; a backslash outside quotes keeps the
// next character, and a backslash at the end of a line joins the next line.
func readEnvFile(path string) ([][2]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	type state int
	const (
		preKey state = iota
		key
		preValue
		value
		valueEscape
		singleQuote
		doubleQuote
		doubleQuoteEscape
		comment
		commentEscape
	)
	var (
		pairs       [][2]string
		st          = preKey
		k, v        strings.Builder
		keyTrail    int // trailing white space of the name, dropped
		valueTrail  int // trailing white space of an unquoted value, dropped
		line, start = 1, 1
		problems    []string
	)
	assign := func() {
		name := k.String()[:k.Len()-keyTrail]
		val := v.String()[:v.Len()-valueTrail]
		if envName.MatchString(name) {
			pairs = append(pairs, [2]string{name, val})
		} else {
			problems = append(problems, fmt.Sprintf("%s:%d: %q is not a variable name", path, start, name))
		}
		k.Reset()
		v.Reset()
		keyTrail, valueTrail = 0, 0
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch st {
		case preKey:
			switch {
			case c == '#' || c == ';':
				st = comment
			case !isSpace(c):
				st, start = key, line
				k.WriteByte(c)
			}
		case key:
			switch c {
			case '\n':
				st = preKey // a line without =: ignored, as systemd does
				k.Reset()
				keyTrail = 0
			case '=':
				st = preValue
			default:
				k.WriteByte(c)
				if isSpace(c) {
					keyTrail++
				} else {
					keyTrail = 0
				}
			}
		case preValue:
			switch {
			case c == '\n':
				assign()
				st = preKey
			case c == '\'':
				st = singleQuote
			case c == '"':
				st = doubleQuote
			case c == '\\':
				st = valueEscape
			case !isSpace(c):
				st = value
				v.WriteByte(c)
			}
		case value:
			switch c {
			case '\n':
				assign()
				st = preKey
			case '\\':
				st = valueEscape
				valueTrail = 0
			default:
				v.WriteByte(c)
				if isSpace(c) {
					valueTrail++
				} else {
					valueTrail = 0
				}
			}
		case valueEscape:
			st = value
			if c != '\n' {
				v.WriteByte(c)
			}
		case singleQuote:
			if c == '\'' {
				st = preValue
			} else {
				v.WriteByte(c)
			}
		case doubleQuote:
			switch c {
			case '"':
				st = preValue
			case '\\':
				st = doubleQuoteEscape
			default:
				v.WriteByte(c)
			}
		case doubleQuoteEscape:
			st = doubleQuote
			switch {
			case strings.IndexByte("\"\\`$", c) >= 0:
				v.WriteByte(c)
			case c == '\n':
			default:
				v.WriteByte('\\')
				v.WriteByte(c)
			}
		case comment:
			switch c {
			case '\\':
				st = commentEscape
			case '\n':
				st = preKey
			}
		case commentEscape:
			st = comment
		}
		if c == '\n' {
			line++
		}
	}
	switch st {
	case preValue, value, valueEscape, singleQuote, doubleQuote, doubleQuoteEscape:
		assign()
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return pairs, nil
}

// envName is a name systemd accepts for a variable, and the collector's ${env:NAME} reads.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// loadEnvFile sets the variables of path (--env-file) in auditctl's environment, over any
// already set: the collector's ${env:NAME} then reads what the service would.
func loadEnvFile(path string) error {
	pairs, err := readEnvFile(path)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		if err := os.Setenv(p[0], p[1]); err != nil {
			return fmt.Errorf("%s: setting %s: %w", path, p[0], err)
		}
	}
	return nil
}
