package poller

import (
	"slices"
	"strings"
)

// changedSettings names the settings whose value differs between the current source and the
// stored ones, from their "key=value" parts: what the user changed since the stored checkpoints
// were written.
func changedSettings(current []string, stored []string) []string {
	now := settingsOf(current)
	var changed []string
	for _, description := range stored {
		before := settingsOf(strings.Fields(description))
		for key, v := range now {
			if before[key] != v && !slices.Contains(changed, key) {
				changed = append(changed, key)
			}
		}
		for key := range before {
			if _, ok := now[key]; !ok && !slices.Contains(changed, key) {
				changed = append(changed, key)
			}
		}
	}
	slices.Sort(changed)
	return changed
}

func settingsOf(parts []string) map[string]string {
	m := make(map[string]string, len(parts))
	for _, part := range parts {
		key, value, _ := strings.Cut(part, "=")
		m[key] = value
	}
	return m
}
