package ui

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := map[string]struct {
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		"defaults":          {Config{}, nil},
		"loopback v4":       {Config{Listen: "127.0.0.1:9000"}, nil},
		"loopback v6":       {Config{Listen: "[::1]:9000"}, nil},
		"localhost":         {Config{Listen: "localhost:9000"}, nil},
		"other loopback":    {Config{Listen: "127.0.0.2:9000"}, nil},
		"all interfaces":    {Config{Listen: ":8080"}, []string{"http.listen: ", "no authentication"}},
		"any address":       {Config{Listen: "0.0.0.0:8080"}, []string{"http.listen: ", "loopback"}},
		"public address":    {Config{Listen: "192.0.2.10:8080"}, []string{"http.listen: "}},
		"no port":           {Config{Listen: "127.0.0.1"}, []string{"http.listen: ", "host:port"}},
		"bad port":          {Config{Listen: "127.0.0.1:http"}, []string{"http.listen: ", "port"}},
		"port zero is any":  {Config{Listen: "127.0.0.1:0"}, nil},
		"port too big":      {Config{Listen: "127.0.0.1:70000"}, []string{"http.listen: ", "port"}},
		"public url":        {Config{PublicURL: "https://pantau.example.com/dash"}, nil},
		"public url scheme": {Config{PublicURL: "ftp://x"}, []string{"http.public_url: ", "http or https"}},
		"public url host":   {Config{PublicURL: "https://"}, []string{"http.public_url: ", "no host"}},
		"origins":           {Config{AllowedOrigins: []string{"https://ops.example.com", "http://localhost:3000"}}, nil},
		"origin with path":  {Config{AllowedOrigins: []string{"https://ok.example", "https://x.example/app"}}, []string{"http.allowed_origins[1]: ", "no path"}},
		"origin scheme":     {Config{AllowedOrigins: []string{"javascript:alert(1)"}}, []string{"http.allowed_origins[0]: "}},
		"every problem": {
			Config{Listen: ":1", PublicURL: "x", AllowedOrigins: []string{"y"}},
			[]string{"http.listen: ", "http.public_url: ", "http.allowed_origins[0]: "},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.cfg.Validate("http")
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "http.") {
					t.Errorf("error line %q does not start with its YAML path", line)
				}
			}
		})
	}
}

func TestConfigListenAddr(t *testing.T) {
	if got := (Config{}).ListenAddr(); got != DefaultListen {
		t.Errorf("default %q", got)
	}
	if got := (Config{Listen: "[::1]:1"}).ListenAddr(); got != "[::1]:1" {
		t.Errorf("set %q", got)
	}
	if err := (Config{Listen: ":1"}).Validate(""); err == nil || !strings.HasPrefix(err.Error(), "listen: ") {
		t.Errorf("top-level path: %v", err)
	}
}

func TestConfigEqual(t *testing.T) {
	a := Config{Listen: "", AllowedOrigins: []string{"https://a.example"}}
	if !a.Equal(Config{Listen: DefaultListen, AllowedOrigins: []string{"https://a.example"}}) {
		t.Error("default listen and the same origins differ")
	}
	if a.Equal(Config{AllowedOrigins: []string{"https://b.example"}}) {
		t.Error("different origins are equal")
	}
	if a.Equal(Config{PublicURL: "https://p.example", AllowedOrigins: a.AllowedOrigins}) {
		t.Error("different public URLs are equal")
	}
}
