package confkeys

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

// unknownKeys returns one error per key of raw (a decoded YAML value) that n does not accept,
// sorted by path. path is where raw sits.
func unknownKeys(raw any, n *node, path []string, all []string) []error {
	var errs []error
	switch v := raw.(type) {
	case map[string]any:
		if n.open || n.text {
			// text: a value from ${env:…} that YAML reads as a mapping ({aB3$x}, "x: y"); the
			// collector's decoder keeps it as the string it was, as upstream components do.
			return nil
		}
		if n.fields == nil && n.elem == nil {
			// A scalar setting (a string, a duration, a component ID) given keys.
			for _, k := range slices.Sorted(maps.Keys(v)) {
				errs = append(errs, fmt.Errorf("unknown key %s: %s takes a value, not keys",
					Path(append(slices.Clone(path), k)), Path(path)))
			}
			return errs
		}
		if n.fields == nil {
			return nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			child, ok := n.fields[k]
			at := append(slices.Clone(path), k)
			if !ok {
				errs = append(errs, unknownKey(at, n, all))
				continue
			}
			errs = append(errs, unknownKeys(v[k], child, at, all)...)
		}
	case []any:
		if n.elem == nil {
			return nil
		}
		for i, e := range v {
			errs = append(errs, unknownKeys(e, n.elem, append(slices.Clone(path), strconv.Itoa(i)), all)...)
		}
	}
	return errs
}

// unknownKey names the key and, when one is close, the key the user probably meant: a sibling
// a typo away, or the same name at another level.
func unknownKey(path []string, parent *node, all []string) error {
	msg := fmt.Sprintf("unknown key %s: this receiver has no such setting", Path(path))
	if name := path[len(path)-1]; strings.TrimSpace(name) != name || name == "" {
		msg = fmt.Sprintf("unknown key %q: this receiver has no such setting", Path(path)) // quoted: the spaces or emptiness show
	}
	if s := suggest(path, parent, all); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return fmt.Errorf("%s", msg)
}

func suggest(path []string, parent *node, all []string) string {
	name := path[len(path)-1]
	best, bestDist := "", maxTypoDistance(name)+1
	for k := range parent.fields {
		if d := distance(strings.ToLower(name), strings.ToLower(k)); d < bestDist || d == bestDist && k < best {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return Path(append(slices.Clone(path[:len(path)-1]), best))
	}
	for _, p := range all {
		if strings.HasSuffix(p, confmap.KeyDelimiter+name) || p == name {
			return p
		}
	}
	return ""
}

// maxTypoDistance is how many edits a misspelling may be from the key: one for short names,
// where more would match unrelated keys.
func maxTypoDistance(name string) int {
	if len(name) < 6 {
		return 1
	}
	return 2
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// paths lists every key path n accepts, for suggestions across levels.
func paths(n *node, prefix []string, out *[]string, depth int) {
	if depth > 4 { // deep enough for every setting; stops self-referencing types
		return
	}
	for k, child := range n.fields {
		p := append(slices.Clone(prefix), k)
		*out = append(*out, Path(p))
		paths(child, p, out, depth+1)
	}
}
