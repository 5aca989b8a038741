package main

// Native fuzz test of the config loader: a config file is outside input
// (hand-edited, generated, copied from a forum post) and parseConfig must
// answer any bytes with a config or an error naming the file, never a
// panic. Seeds in testdata/fuzz/FuzzParseConfig are the example and demo
// configs.
//
//	go test ./cmd/pantau -run '^$' -fuzz '^FuzzParseConfig$' -fuzztime 15s

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzUnsafeConfig reports configs the fuzz test must not load: secrets
// are read from the files their *_file fields name, and a path to a
// device (/dev/zero, /dev/stdin) or a kernel file would hang or exhaust
// the fuzzing process rather than test the parser.
func fuzzUnsafeConfig(data []byte) bool {
	if !bytes.Contains(data, []byte("_file")) {
		return false
	}
	low := bytes.ToLower(data)
	for _, s := range []string{"dev", "proc", "sys", `\`, "fd"} {
		if bytes.Contains(low, []byte(s)) {
			return true
		}
	}
	return false
}

// FuzzParseConfig: any bytes give exactly one of a config and an error;
// the error names the file; a config that loads is valid, has its defaults
// applied and its source names unique.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(validConfig))
	f.Add([]byte(""))
	f.Add([]byte("brands: [{name: x, terms: [y]}]\nsources: [{name: s, kind: rss, url: 'https://e.x/f'}]\nrules: [{name: r, metric: complaint, min: .nan}]\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("sources:\n  - name: s\n    kind: mastodon\n    mastodon: {instances: [{url: 'https://m.s', hashtags: ['bad tag']}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxConfigBytes || fuzzUnsafeConfig(data) {
			t.Skip()
		}
		const name = "pantau.yaml"
		cfg, err := parseConfig(name, data)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("parseConfig returned config %v and error %v", cfg != nil, err)
		}
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "config "+name) {
				t.Fatalf("error does not name the file: %q", msg)
			}
			if len(msg) > 4*maxConfigBytes {
				t.Fatalf("error is %d bytes long", len(msg))
			}
			return
		}
		if err := cfg.validate(); err != nil {
			t.Fatalf("a loaded config is invalid: %v", err)
		}
		if cfg.DataDir == "" || cfg.UserAgent == "" || cfg.SweepInterval < minSweep || len(cfg.Brands) == 0 || len(cfg.Sources) == 0 {
			t.Fatalf("loaded config without its defaults or essentials: %+v", cfg)
		}
		names := map[string]bool{}
		for _, s := range cfg.Sources {
			if s.Name != "" && names[s.Name] {
				t.Fatalf("duplicate source name %q accepted", s.Name)
			}
			names[s.Name] = true
			if !utf8.ValidString(s.Name) {
				t.Fatalf("source name %q is not valid UTF-8", s.Name)
			}
		}
	})
}
