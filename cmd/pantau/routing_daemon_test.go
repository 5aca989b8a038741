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
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/alerting/notify"
)

// syncBuf is a log sink the daemon writes from several goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// The daemon as `pantau run` wires it: a feed item crossing an expression
// rule reaches the route's webhook receiver; the leads' endpoints answer
// from the router (on call, silences); an acknowledge from the dashboard
// reaches the receiver too.
func TestDaemonRoutesExpressionRuleToReceiver(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>post-1</guid><title>Kilat Express</title><author>budi</author>
<description>kilat express paket hilang 5 hari, kecewaaa bgt, minta REFUND sekarang</description>
<pubDate>%s</pubDate></item></channel></rss>`, time.Now().UTC().Format(time.RFC1123Z))
	}))
	defer feed.Close()
	got := make(chan notify.Message, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.Message
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &m)
		w.WriteHeader(http.StatusNoContent)
		got <- m
	}))
	defer receiver.Close()

	dir := t.TempDir()
	addr := freePort(t)
	cfg, err := parseConfig("pantau.yaml", []byte(fmt.Sprintf(`
data_dir: %q
http: {listen: %q, auth: none}
brands: [{name: kilat, terms: ["kilat express"]}]
sources: [{name: news, kind: rss, url: %q, brand: kilat, schedule: "@every 1s"}]
rules:
  - name: refund
    expr: any_keyword(text, ["refund", "penipuan"]) && keyword(text, "kecewa")
receivers:
  - name: agents
    kind: webhook
    webhook: {url: %q, secret: "0123456789abcdef"}
oncall:
  - name: leads
    level: 2
    members: [{name: Rina, receivers: [agents]}]
routes:
  - name: all
    group_wait: 0s
    levels:
      - receivers: [agents]
      - after: 30m
        oncall: leads
`, filepath.Join(dir, "data"), addr, feed.URL, receiver.URL+"/hook")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuf{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, serveOptions{Stdout: io.Discard, Stderr: logs}) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("the daemon did not stop")
		}
	}()

	var m notify.Message
	select {
	case m = <-got:
	case <-time.After(30 * time.Second):
		t.Fatalf("the receiver got nothing:\n%s", logs)
	}
	if m.Action != notify.Trigger || m.Rule != "refund" || m.Brand != "kilat" {
		t.Fatalf("receiver got %+v", m)
	}

	api := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := api("GET", "/api/oncall", ""); code != 200 || !strings.Contains(body, `"now":[{"level":2,"name":"Rina","receivers":["agents"]}]`) {
		t.Errorf("oncall: %d %s", code, body)
	}
	if code, body := api("POST", "/api/silences", `{"matchers":[{"field":"rule","value":"refund"}],"until":"`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`","comment":"testing","by":"Rina"}`); code != 201 {
		t.Errorf("add silence: %d %s", code, body)
	}
	if code, body := api("GET", "/api/silences", ""); code != 200 || !strings.Contains(body, `"by":"Rina"`) {
		t.Errorf("silences: %d %s", code, body)
	}
	// The alert's id, from the dashboard's list: acknowledge it there.
	_, body := api("GET", "/api/alerts", "")
	var list struct {
		Alerts []struct{ ID string } `json:"alerts"`
	}
	if json.Unmarshal([]byte(body), &list); len(list.Alerts) != 1 {
		t.Fatalf("alerts: %s", body)
	}
	if code, body := api("POST", "/api/alerts/"+url.PathEscape(list.Alerts[0].ID)+"/ack", `{"by":"Rina"}`); code != 200 {
		t.Fatalf("ack: %d %s", code, body)
	}
	select {
	case m = <-got:
	case <-time.After(30 * time.Second):
		t.Fatalf("no acknowledge reached the receiver:\n%s", logs)
	}
	if m.Action != notify.Acknowledge || m.By != "Rina" {
		t.Fatalf("receiver got %+v", m)
	}
}
