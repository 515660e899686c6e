package deliverycheck

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"go.opentelemetry.io/collector/confmap"
)

// StorageErrors returns one error per audit receiver in a pipeline whose storage setting names
// an extension that is not configured under extensions and enabled in service::extensions. The
// collector refuses such a receiver only when it starts it; checked here, `validate` (and
// auditctl check) refuse it too, with the fix.
func StorageErrors(conf *confmap.Conf) error {
	pipelines, _ := conf.Get("service::pipelines").(map[string]any)
	used := map[string]bool{}
	for _, p := range pipelines {
		m, _ := p.(map[string]any)
		for _, r := range auditReceiversOf(m["receivers"]) {
			used[r] = true
		}
	}
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	extensions, _ := conf.Get("extensions").(map[string]any)
	enabled := list(conf.Get("service::extensions"))
	var errs []error
	for _, id := range ids {
		storage, ok := conf.Get("receivers::" + id + "::storage").(string)
		if !ok || storage == "" {
			continue
		}
		_, configured := extensions[storage]
		switch {
		case !configured:
			errs = append(errs, fmt.Errorf("receivers::%s::storage: extension %q is not configured: add it under extensions "+
				"(e.g. file_storage with a directory) and to service::extensions, or fix the name", id, storage))
		case !slices.Contains(enabled, storage):
			errs = append(errs, fmt.Errorf("receivers::%s::storage: extension %q is configured but not enabled: add it to service::extensions", id, storage))
		}
	}
	return errors.Join(errs...)
}
