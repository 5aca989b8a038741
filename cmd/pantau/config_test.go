package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const validConfig = `
data_dir: /tmp/pantau-test
http:
  listen: 127.0.0.1:8080
brands:
  - name: kilat
    terms: ["kilat express"]
sources:
  - name: news
    kind: rss
    url: https://news.example/rss
    brand: kilat
rules:
  - name: complaint
    metric: complaint
    min: 0.7
`

func TestConfigErrorsNameFileLineAndField(t *testing.T) {
	tests := map[string]struct {
		edit func(string) string
		want []string
	}{
		"valid": {func(s string) string { return s }, nil},
		"unknown key": {
			func(s string) string {
				return strings.Replace(s, "    brand: kilat\n", "    brand: kilat\n    shedule: \"@every 1m\"\n", 1)
			},
			[]string{"pantau.yaml:13:", "shedule"},
		},
		"bad url": {
			func(s string) string { return strings.Replace(s, "https://news.example/rss", "ftp://news", 1) },
			[]string{"pantau.yaml:11:", "sources[0].url"},
		},
		"unknown brand": {
			func(s string) string { return strings.Replace(s, "    brand: kilat", "    brand: nope", 1) },
			[]string{"pantau.yaml:12:", "sources[0].brand"},
		},
		"bad rule metric and bad log level at once": {
			func(s string) string {
				return strings.Replace(s, "metric: complaint", "metric: anger", 1) + "log:\n  level: loud\n"
			},
			[]string{"rules[0].metric", "pantau.yaml:15:", "log.level", "pantau.yaml:18:"},
		},
		"bad schedule": {
			func(s string) string {
				return strings.Replace(s, "    brand: kilat\n", "    brand: kilat\n    schedule: every minute\n", 1)
			},
			[]string{"pantau.yaml:13:", "sources[0].schedule"},
		},
		"wrong type": {
			func(s string) string { return strings.Replace(s, "min: 0.7", "min: high", 1) },
			[]string{"pantau.yaml:16:", "high"},
		},
		"duplicate source": {
			func(s string) string {
				return strings.Replace(s, "rules:", "  - name: news\n    kind: rss\n    url: https://b.example/rss\n    brand: kilat\nrules:", 1)
			},
			[]string{"sources[1].name", "used by another source"},
		},
		"empty": {func(string) string { return "" }, []string{"empty"}},
		"secret from an unset variable": {
			func(s string) string {
				return strings.Replace(s, "    brand: kilat\n", "    brand: kilat\n    token: ${PANTAU_TEST_UNSET_TOKEN}\n", 1)
			},
			[]string{"pantau.yaml:13:", "PANTAU_TEST_UNSET_TOKEN: it is not set"},
		},
		"secret file missing": {
			func(s string) string {
				return strings.Replace(s, "    brand: kilat\n", "    brand: kilat\n    token_file: /nonexistent/token\n", 1)
			},
			[]string{"pantau.yaml:13:", "sources[0].token_file", "/nonexistent/token"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := parseConfig("pantau.yaml", []byte(tc.edit(validConfig)))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid config accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestExampleAndDemoConfigsAreValid(t *testing.T) {
	if _, err := loadConfig(filepath.Join("..", "..", "pantau.example.yaml")); err != nil {
		t.Fatalf("pantau.example.yaml: %v", err)
	}
	dir := t.TempDir()
	fakes, err := startDemoPlatforms(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer fakes.close()
	fakes.vars["{{LISTEN}}"], fakes.vars["{{DATA}}"] = "127.0.0.1:0", dir
	text := fakes.fill(demoConfig)
	if strings.Contains(text, "{{") {
		t.Fatalf("demo config has unfilled placeholders:\n%s", text)
	}
	if _, err := parseConfig("demo.yaml", []byte(text)); err != nil {
		t.Fatalf("demo config: %v", err)
	}
}

func TestCheckConfigCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pantau.yaml")
	os.WriteFile(path, []byte(validConfig), 0o600)
	var out, errOut strings.Builder
	if code := pantau([]string{"check-config", path}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "is valid: 1 brand(s), 1 source(s), 1 rule(s)") {
		t.Errorf("output: %s", out.String())
	}
	os.WriteFile(path, []byte(strings.Replace(validConfig, "kind: rss", "kind: myspace", 1)), 0o600)
	out.Reset()
	if code := pantau([]string{"check-config", path}, nil, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "sources[0].kind") {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	out.Reset()
	if code := pantau([]string{"version"}, nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "pantau ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
}
