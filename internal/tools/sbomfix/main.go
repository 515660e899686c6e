// Command sbomfix names this repository's modules in the CycloneDX SBOM that cyclonedx-gomod
// writes for the ocb-generated distribution: it sees the receivers' module only through the
// distribution's `replace ... => ../`, and so names it "..", without a version, and gives the
// distribution a git pseudo-version. Both become the release version.
//
//	go run ./sbomfix -version 0.1.0 -module github.com/secaudit/otelcol-audit FILE
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	version := flag.String("version", "", "the release version, e.g. 0.1.0")
	module := flag.String("module", "", "the module path the SBOM names \"..\"")
	flag.Parse()
	if *version == "" || *module == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: sbomfix -version V -module PATH FILE")
		os.Exit(2)
	}
	if err := fix(flag.Arg(0), "v"+strings.TrimPrefix(*version, "v"), *module); err != nil {
		fmt.Fprintln(os.Stderr, "sbomfix:", err)
		os.Exit(1)
	}
}

func fix(path, version, module string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var bom map[string]any
	if err := json.Unmarshal(b, &bom); err != nil {
		return err
	}
	meta, _ := bom["metadata"].(map[string]any)
	app, _ := meta["component"].(map[string]any)
	name, _ := app["name"].(string)
	pseudo, _ := app["version"].(string)
	if name == "" || pseudo == "" {
		return fmt.Errorf("%s: no metadata.component with a name and a version", path)
	}
	// Every reference (bom-ref, purl, dependencies) is renamed the same way.
	refs := strings.NewReplacer(
		"pkg:golang/..?", "pkg:golang/"+module+"@"+version+"?",
		name+"@"+pseudo, name+"@"+version,
	)
	app["version"] = version
	found := false
	for _, c := range bom["components"].([]any) {
		if c := c.(map[string]any); c["name"] == ".." {
			c["name"], c["version"], found = module, version, true
		}
	}
	if !found {
		return fmt.Errorf("%s: no component named \"..\" (the replaced module)", path)
	}
	out, err := json.MarshalIndent(rename(bom, refs), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}

// rename applies r to every string of v.
func rename(v any, r *strings.Replacer) any {
	switch v := v.(type) {
	case string:
		return r.Replace(v)
	case []any:
		for i := range v {
			v[i] = rename(v[i], r)
		}
	case map[string]any:
		for k := range v {
			v[k] = rename(v[k], r)
		}
	}
	return v
}
