package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const accountsFeed = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>t</title><link>https://news.example/</link><description>d</description>
<item><guid>kx-1</guid><title>Kilat Express kecewa</title><link>https://news.example/1</link>
<description>paket kilat express belum sampai, kecewa bgt min</description><pubDate>Fri, 14 Mar 2025 08:00:00 GMT</pubDate></item>
</channel></rss>`

// The daemon as `pantau run` starts it, with login: accounts made by the
// CLI log in, act through the pipeline, are refused what their role may
// not do, and lose their session when the CLI changes their role, while
// the daemon runs.
func TestDaemonWithAccounts(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, accountsFeed)
	}))
	defer feed.Close()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte(cliPassword+"\n"), 0o600)
	for name, role := range map[string]string{"boss": "admin", "sari": "agent"} {
		if _, err := runUser(t, "", "add", name, "-role", role, "-data", data, "-password-file", pw); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := parseConfig("pantau.yaml", []byte(fmt.Sprintf(`
data_dir: %q
http: {listen: "127.0.0.1:0"}
log: {level: warn}
brands: [{name: kilat, terms: ["kilat express"]}]
sources: [{name: news, kind: rss, url: %q, brand: kilat, schedule: "@every 1s", token: "SRC-SECRET-TOKEN-1234"}]
`, data, feed.URL+"/feed?key=QUERY-SECRET-5678")))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Auth != "login" {
		t.Fatalf("http.auth defaults to %q, want login", cfg.HTTP.Auth)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &lockedWriter{w: &bytes.Buffer{}}
	go func() {
		done <- serve(ctx, cfg, serveOptions{Stdout: io.Discard, Stderr: logs, Ready: func(a string) { ready <- a }})
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	var base string
	select {
	case base = <-ready:
		base = strings.TrimSuffix(base, "/")
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("daemon did not start")
	}

	type sess struct{ cookie, csrf string }
	do := func(s *sess, method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if s != nil {
			req.Header.Set("Cookie", s.cookie)
			req.Header.Set("X-CSRF-Token", s.csrf)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if path == "/api/login" && resp.StatusCode == 200 {
			var out struct{ CSRF string }
			json.Unmarshal(b, &out)
			for _, c := range resp.Cookies() {
				if c.Name == "pantau_session" {
					s.cookie, s.csrf = c.Name+"="+c.Value, out.CSRF
				}
			}
		}
		return resp.StatusCode, b
	}
	if code, _ := do(nil, "GET", "/api/mentions", ""); code != 401 {
		t.Errorf("not logged in: %d", code)
	}
	boss, sari := &sess{}, &sess{}
	if code, b := do(boss, "POST", "/api/login", `{"username":"boss","password":"`+cliPassword+`"}`); code != 200 {
		t.Fatalf("boss login: %d %s", code, b)
	}
	if code, b := do(sari, "POST", "/api/login", `{"username":"sari","password":"`+cliPassword+`"}`); code != 200 {
		t.Fatalf("sari login: %d %s", code, b)
	}
	key := url.PathEscape("rss:kx-1")
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _ := do(sari, "GET", "/api/mentions/"+key, "")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mention never stored; log:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	code, b := do(sari, "POST", "/api/handling/"+key, `{"action":"resolved","note":"refund sent"}`)
	if code != 200 {
		t.Fatalf("handling: %d %s", code, b)
	}
	var view struct {
		Mention struct {
			Handling  string
			HandledBy string `json:"handled_by"`
			Score     *struct {
				ReplyState string `json:"reply_state"`
			}
		}
		Notes []struct{ By, Action, Note string }
	}
	json.Unmarshal(b, &view)
	if view.Mention.Handling != "resolved" || view.Mention.HandledBy != "sari" || len(view.Notes) != 1 || view.Notes[0].Note != "refund sent" {
		t.Errorf("after handling: %s", b)
	}
	// Through the pipeline: the score's clock follows at once.
	if view.Mention.Score == nil || view.Mention.Score.ReplyState != "resolved" {
		t.Errorf("the pipeline did not re-score: %s", b)
	}
	if code, _ := do(sari, "GET", "/api/config", ""); code != 403 {
		t.Errorf("agent reads the config: %d", code)
	}
	if code, b := do(boss, "GET", "/api/config", ""); code != 200 || !strings.Contains(string(b), `"data_dir"`) ||
		strings.Contains(string(b), "SRC-SECRET-TOKEN-1234") || strings.Contains(string(b), "QUERY-SECRET-5678") {
		t.Errorf("admin config view (it must hide the source's token and the URL's key): %d %s", code, b)
	}
	if code, b := do(boss, "GET", "/api/audit", ""); code != 200 || !strings.Contains(string(b), "mention.resolved") || !strings.Contains(string(b), "cli:") {
		t.Errorf("audit: %d %s", code, b)
	}

	// The CLI changes sari's role while the daemon runs: her session ends.
	if _, err := runUser(t, "", "role", "sari", "marketing", "-data", data); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(15 * time.Second)
	for {
		if code, _ := do(sari, "GET", "/api/me", ""); code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the role change did not end the session")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(logs.String(), cliPassword) || strings.Contains(logs.String(), sari.csrf) {
		t.Error("the daemon log holds a password or token")
	}
}

// lockedWriter serialises the daemon's log writes into a buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.(*bytes.Buffer).String()
}
