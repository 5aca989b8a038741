package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// The dashboard is plain files with no build step, embedded so that the
// binary is all there is to deploy.
//
//go:embed static
var staticFS embed.FS

// staticFile is one embedded file with what serving it needs.
type staticFile struct {
	data  []byte
	etag  string
	ctype string
}

// staticFiles serves index.html at / and the flat assets/ directory at
// /assets/NAME. Serving from a map rather than http.FileServer means no
// directory listings and an ETag per file (embedded files have no
// modification time to revalidate with).
type staticFiles struct {
	index  staticFile
	assets map[string]staticFile
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// mustLoadStatic reads the embedded tree. It only fails if the build
// embedded a broken tree, which the tests catch.
func mustLoadStatic() *staticFiles {
	load := func(name string) staticFile {
		data, err := staticFS.ReadFile(name)
		if err != nil {
			panic("ui: embedded dashboard: " + err.Error())
		}
		sum := sha256.Sum256(data)
		ctype := contentTypes[path.Ext(name)]
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		return staticFile{data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ctype}
	}
	sf := &staticFiles{index: load("static/index.html"), assets: map[string]staticFile{}}
	entries, err := fs.ReadDir(staticFS, "static/assets")
	if err != nil {
		panic("ui: embedded dashboard: " + err.Error())
	}
	for _, e := range entries {
		if !e.IsDir() {
			sf.assets[e.Name()] = load("static/assets/" + e.Name())
		}
	}
	return sf
}

func (sf *staticFiles) serveIndex(w http.ResponseWriter, r *http.Request) {
	serveFile(w, r, "index.html", sf.index)
}

func (sf *staticFiles) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, ok := sf.assets[name]
	if !ok {
		writeError(w, http.StatusNotFound, "no such file")
		return
	}
	serveFile(w, r, name, f)
}

func serveFile(w http.ResponseWriter, r *http.Request, name string, f staticFile) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	// Revalidate every time: an upgraded binary must not run with an old
	// script, and the ETag makes revalidation a 304.
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}
