package deliverycheck

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"go.opentelemetry.io/collector/confmap"
)

// StorageErrors returns one error per setting of an audit receiver in a pipeline (storage,
// auth::authenticator, middlewares::N::id) that names an extension not configured under
// extensions and enabled in service::extensions. The collector refuses such a receiver only when
// it starts it; checked here, `validate` (and auditctl check) refuse it too, with the fix.
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
		prefix := "receivers::" + id + "::"
		check := func(key, ext, fix string) {
			_, configured := extensions[ext]
			switch {
			case !configured:
				errs = append(errs, fmt.Errorf("%s%s: extension %q is not configured: %s", prefix, key, ext, fix))
			case !slices.Contains(enabled, ext):
				errs = append(errs, fmt.Errorf("%s%s: extension %q is configured but not enabled: add it to service::extensions", prefix, key, ext))
			}
		}
		if storage, ok := conf.Get(prefix + "storage").(string); ok && storage != "" {
			check("storage", storage, "add it under extensions (e.g. file_storage with a directory) and to service::extensions, or fix the name")
		}
		// otelcol-audit ships no authenticator or middleware extension: the receivers sign
		// their requests from their own credential settings.
		const none = "this distribution ships no authenticator or middleware extension, and the receivers need none " +
			"(they authenticate with their credential settings): remove it"
		if auth, ok := conf.Get(prefix + "auth::authenticator").(string); ok && auth != "" {
			check("auth::authenticator", auth, none)
		}
		middlewares, _ := conf.Get(prefix + "middlewares").([]any)
		for i, m := range middlewares {
			if mid, ok := m.(map[string]any)["id"].(string); ok && mid != "" {
				check(fmt.Sprintf("middlewares::%d::id", i), mid, none)
			}
		}
	}
	return errors.Join(errs...)
}
