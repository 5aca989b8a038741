package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/store"
)

// Personal data never leaves the server unmasked: not in the mention list,
// not in one mention with its thread, not in the event backlog, not over
// the websocket. Reveal shows it to someone who names themself, and says
// so in the log.
func TestPersonalDataIsMaskedEverywhereUntilRevealed(t *testing.T) {
	st := newTestStore(t)
	const phone = "0812-3456-7890"
	text := "paket hilang, hubungi saya di " + phone + " ya min"
	m := mention("pii1", text)
	m.Title = "Order INV/2026/11/000123 belum sampai"
	m.Score = &store.Score{Scored: true, PII: audit.FindPII(text)}
	if len(m.Score.PII) == 0 {
		t.Fatal("the test's phone number is not found as personal data")
	}
	ts := startServer(t, st, Config{}, nil)
	c, _, err := dialWS(ts, "0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ingest(t, st, m)

	get := func(path string) string {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	key := url.PathEscape("rss:pii1")
	for name, body := range map[string]string{
		"list":    get("/api/mentions"),
		"mention": get("/api/mentions/" + key),
		"events":  get("/api/events?since=0"),
	} {
		if strings.Contains(body, "3456") || strings.Contains(body, "000123") {
			t.Errorf("%s shows personal data: %s", name, body)
		}
		if !strings.Contains(body, "hubungi saya di") {
			t.Errorf("%s lost the rest of the text: %s", name, body)
		}
	}
	for {
		e, err := readEvent(c, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type == store.EventMentionNew {
			if strings.Contains(string(e.Data), "3456") {
				t.Fatalf("websocket shows personal data: %s", e.Data)
			}
			break
		}
	}

	resp, err := http.Post(ts.URL+"/api/reveal/"+key, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("anonymous reveal answered %d, want 400", resp.StatusCode)
	}
	resp, err = http.Post(ts.URL+"/api/reveal/"+key, "application/json", strings.NewReader(`{"by":"lead-dina"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Text string }
	json.NewDecoder(resp.Body).Decode(&got)
	if resp.StatusCode != http.StatusOK || got.Text != text {
		t.Fatalf("reveal: %d %q", resp.StatusCode, got.Text)
	}
}

// The reply report aggregates the audits of the brand's replies seen in
// the period, per account.
func TestReplyReport(t *testing.T) {
	st := newTestStore(t)
	for i, verdict := range []string{"ok", "violation", "ok"} {
		m := mention(fmt.Sprint("r", i), "Mohon maaf kak, cek DM ya")
		m.ByBrand = true
		m.Author.Handle = "kilatcare"
		m.Score = &store.Score{Audit: &store.Audit{Verdict: verdict, ResponseTime: time.Duration(i+1) * 10 * time.Minute}}
		ingest(t, st, m)
	}
	ingest(t, st, mention("c1", "customer post"))
	ts := startServer(t, st, Config{}, nil)
	resp, err := http.Get(ts.URL + "/api/reply-report?from=2000-01-01T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Report audit.Report `json:"report"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Report.All.Replies != 3 || got.Report.All.Violations != 1 || len(got.Report.Accounts) != 1 || got.Report.Accounts[0].Key != "kilatcare" {
		t.Fatalf("report = %+v", got.Report)
	}
	if resp, _ := http.Get(ts.URL + "/api/reply-report?from=2030-01-01T00:00:00Z&to=2029-01-01T00:00:00Z"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("from after to answered %d", resp.StatusCode)
	}
}
