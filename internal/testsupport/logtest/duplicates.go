package logtest

// Duplicates returns the IDs that occur more than once in uids, each once, in the order of
// their second occurrence: what an exactly-once check reports as delivered twice.
func Duplicates(uids []string) []string {
	seen := make(map[string]int, len(uids))
	var out []string
	for _, id := range uids {
		seen[id]++
		if seen[id] == 2 {
			out = append(out, id)
		}
	}
	return out
}
