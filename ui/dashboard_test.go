package ui

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestDashboardModulesHaveNoHTMLSinks extends the check on app.js to every
// module of the dashboard: none may build HTML from strings, evaluate
// code, or load anything from another origin.
func TestDashboardModulesHaveNoHTMLSinks(t *testing.T) {
	entries, err := fs.ReadDir(staticFS, "static/assets")
	if err != nil {
		t.Fatal(err)
	}
	imported := regexp.MustCompile(`from '\./([a-z]+\.js)'`)
	have := map[string]bool{}
	var modules []string
	for _, e := range entries {
		have[e.Name()] = true
		if strings.HasSuffix(e.Name(), ".js") {
			modules = append(modules, e.Name())
		}
	}
	if len(modules) < 2 {
		t.Fatalf("only %v: the dashboard's modules are missing", modules)
	}
	for _, name := range modules {
		data, err := staticFS.ReadFile("static/assets/" + name)
		if err != nil {
			t.Fatal(err)
		}
		// The SVG namespace is a name, not a resource.
		src := strings.ReplaceAll(string(data), "'http://www.w3.org/2000/svg'", "")
		for _, bad := range []string{".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('on", "http://", "https://", "import("} {
			if strings.Contains(src, bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
		// style attributes from strings would need 'unsafe-inline'.
		if strings.Contains(src, ".style.") || strings.Contains(src, "setAttribute('style'") {
			t.Errorf("%s sets inline styles", name)
		}
		for _, m := range imported.FindAllStringSubmatch(src, -1) {
			if !have[m[1]] {
				t.Errorf("%s imports %s, which is not embedded", name, m[1])
			}
		}
	}
}
