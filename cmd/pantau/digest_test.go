package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

const digestReceivers = `
receivers:
  - name: oncall
    kind: slack
    slack:
      url: https://hooks.slack.example/services/T0/B0/abcdef123456
  - name: marketing-mail
    kind: email
    actions: [digest]
    email:
      host: smtp.example.com
      from: Pantau <pantau@example.com>
      to: [marketing@example.com]
`

func TestDigestConfigErrorsNameFileLineAndField(t *testing.T) {
	base := validConfig + digestReceivers
	tests := map[string]struct {
		digests string
		want    []string
	}{
		"valid": {"digests:\n  timezone: Asia/Jakarta\n  daily:\n    schedule: \"0 8 * * *\"\n  weekly:\n    schedule: \"0 8 * * 1\"\n    receivers: [marketing-mail]\n", nil},
		"unknown key": {"digests:\n  daily:\n    shedule: \"0 8 * * *\"\n",
			[]string{"pantau.yaml:32:", "shedule"}},
		"bad schedule": {"digests:\n  daily:\n    schedule: \"0 25 * * *\"\n",
			[]string{"pantau.yaml:32:", "digests.daily.schedule"}},
		"every is refused": {"digests:\n  weekly:\n    schedule: \"@every 168h\"\n",
			[]string{"pantau.yaml:32:", "digests.weekly.schedule", "time of day"}},
		"unknown receiver": {"digests:\n  daily:\n    schedule: \"0 8 * * *\"\n    receivers: [marketing-mail, nobody]\n",
			[]string{"pantau.yaml:33:", "digests.daily.receivers[1]", `no receiver named "nobody"`}},
		"receiver without the digest action": {"digests:\n  daily:\n    schedule: \"0 8 * * *\"\n    receivers: [oncall]\n",
			[]string{"pantau.yaml:33:", "digests.daily.receivers[0]", "add digest to its actions"}},
		"bad time zone": {"digests:\n  timezone: Asia/Atlantis\n  daily:\n    schedule: \"0 8 * * *\"\n",
			[]string{"pantau.yaml:31:", "digests.timezone", "Asia/Atlantis"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := parseConfig("pantau.yaml", []byte(base+tc.digests))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	// A pagerduty receiver cannot take digests.
	pd := base + "  - name: pd\n    kind: pagerduty\n    actions: [digest]\n    pagerduty:\n      routing_key: 0123456789abcdef0123456789abcdef\ndigests:\n  daily:\n    schedule: \"0 8 * * *\"\n"
	if _, err := parseConfig("pantau.yaml", []byte(pd)); err == nil || !strings.Contains(err.Error(), "receivers[2].actions: a pagerduty receiver cannot take digests") {
		t.Errorf("pagerduty with digests: %v", err)
	}
}

func TestDigestCommandRendersWithoutSending(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(data, storeFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jkt, _ := time.LoadLocation("Asia/Jakarta")
	posted := time.Date(2026, 11, 22, 10, 0, 0, 0, jkt)
	_, err = st.Ingest(store.Batch{Source: "news", Kind: "rss", At: posted.Add(time.Minute), Mentions: []store.Mention{{
		NativeID: "1", Brand: "kilat", Text: "<script>x</script> paket hilang, hubungi dina@gmail.com / 0812-3456-7890", CreatedAt: posted,
		URL: "https://news.example/1", Author: store.Author{Handle: "dina"},
		Score: &store.Score{Scored: true, Complaint: 0.9, Severity: 3, Priority: 0.9, Target: time.Hour},
	}}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(validConfig, "/tmp/pantau-test", data, 1) + digestReceivers +
		"http_placeholder: x\n"
	cfg = strings.Replace(cfg, "http_placeholder: x\n", "scoring:\n  timezone: Asia/Jakarta\ndigests:\n  daily:\n    schedule: \"0 8 * * *\"\n", 1)
	cfgPath := filepath.Join(dir, "pantau.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if code := pantau([]string{"digest", "-config", cfgPath, "-period", "daily", "-at", "2026-11-23T08:00:00+07:00"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	text := stdout.String()
	if !strings.Contains(text, "Daily reputation digest: Sun 22 Nov 2026") || !strings.Contains(text, "d***@gmail.com") || strings.Contains(text, "dina@gmail.com") {
		t.Errorf("text preview:\n%s", text)
	}

	out := filepath.Join(dir, "preview.eml")
	stdout.Reset()
	if code := pantau([]string{"digest", "-config", cfgPath, "-period", "weekly", "-at", "2026-11-23T08:00:00+07:00", "-out", out}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	eml, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(eml))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Header.Get("Content-Type"), "multipart/related") || !strings.Contains(m.Header.Get("From"), "<pantau@example.com>") {
		t.Errorf("preview headers: %v", m.Header)
	}
	pic, err := os.ReadFile(filepath.Join(dir, "preview.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(pic)); err != nil {
		t.Errorf("preview.png: %v", err)
	}
	slack, err := os.ReadFile(filepath.Join(dir, "preview.slack.json"))
	if err != nil || !json.Valid(slack) {
		t.Errorf("preview.slack.json: %v", err)
	}

	for _, bad := range [][]string{
		{"-period", "monthly"}, {"-at", "yesterday"},
	} {
		stderr.Reset()
		args := append([]string{"digest", "-config", cfgPath}, bad...)
		if code := pantau(args, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), bad[0]) {
			t.Errorf("%v: exit %d, %s", bad, code, stderr.String())
		}
	}
}

// The daemon runs digests: started after a digest was due (and after
// digests first ran on this store), it sends the missed one to a Slack
// receiver at once.
func TestDaemonSendsMissedDigestAtStart(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, storeFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Digests first ran here three days ago.
	if err := st.SetOutboxCursor("digest.first_run", uint64(time.Now().Add(-72*time.Hour).Unix())); err != nil {
		t.Fatal(err)
	}
	st.Close()

	got := make(chan []byte, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- body
	}))
	defer hook.Close()
	feed := httptest.NewServer(http.NotFoundHandler())
	defer feed.Close()

	cfg := fmt.Sprintf(`
data_dir: %s
http:
  listen: %s
brands:
  - name: kilat
    terms: ["kilat express"]
sources:
  - name: news
    kind: rss
    url: %s/rss
    schedule: "@every 1h"
receivers:
  - name: marketing
    kind: slack
    actions: [digest]
    slack:
      url: %s/services/T0/B0/digestwebhooktoken
digests:
  timezone: UTC
  daily:
    schedule: "0 0 * * *"
`, dir, freePort(t), feed.URL, hook.URL)
	c, err := parseConfig("pantau.yaml", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() { done <- serve(ctx, c, serveOptions{Stdout: io.Discard, Stderr: logWriter{&logs}}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	select {
	case body := <-got:
		yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("Mon 2 Jan 2006")
		if !json.Valid(body) || !strings.Contains(string(body), "Daily reputation digest: "+yesterday) {
			t.Errorf("slack got %s", body)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no digest reached Slack; log:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "digestwebhooktoken") {
		t.Error("the webhook URL is in the log")
	}
}

// logWriter lets the daemon's logger write into a syncBuffer.
type logWriter struct{ b *syncBuffer }

func (w logWriter) Write(p []byte) (int, error) { w.b.WriteString(string(p)); return len(p), nil }
