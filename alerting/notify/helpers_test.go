package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// fakeClock is a manually advanced clock whose timers fire when Advance
// passes their deadline. Tests never wait for real time to pass.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	c       chan time.Time
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.t.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.t
		t.stopped = true
	} else {
		c.timers = append(c.timers, t)
	}
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.t):
			t.stopped = true
			t.c <- c.t
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
}

// waiting counts the timers that are set and not yet fired or stopped:
// each dispatcher worker (and follower) holds exactly one while it waits.
func (c *fakeClock) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

// settle waits until n goroutines wait on the clock, so an Advance cannot
// slip between a worker reading the time and setting its timer.
func (c *fakeClock) settle(t testing.TB, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d timers to be set", n), func() bool { return c.waiting() >= n })
}

// waitFor polls cond with tiny real sleeps, failing after a guard.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	guard := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-guard:
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(time.Millisecond):
		}
	}
}

// logBuffer collects log output (for the leak test) safely across
// goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

const (
	hostile  = `<script>alert("x")</script> & co @everyone <!channel> [click](javascript:alert(1)) **bold** 'q'`
	phone    = "0812-3456-7890"
	maskedPh = "[phone]"
)

// maskPhone stands in for the PII masker another engineer builds.
func maskPhone(s string) string { return strings.ReplaceAll(s, phone, maskedPh) }

func testAlert() store.Alert {
	return store.Alert{
		ID:         "viral|mastodon:https://social.example/@budi/1",
		Rule:       "viral",
		MentionKey: "mastodon:https://social.example/@budi/1",
		Source:     "mastodon",
		Brand:      "acme",
		State:      store.AlertOpen,
		Summary:    "virality 0.91 >= 0.8 (rule viral): @budi on mastodon: “call me " + phone + " " + hostile + "”",
		Reasons:    []string{"'kecewa', 'refund'", "12 reposts in 10 min", "unanswered 2h13m, SLA 1h", "call " + phone},
		Priority:   0.87,
		OpenedAt:   time.Date(2026, 11, 2, 8, 55, 0, 0, time.UTC),
		UpdatedAt:  time.Date(2026, 11, 2, 8, 55, 0, 0, time.UTC),
	}
}

func testMention() *store.Mention {
	return &store.Mention{
		Key:    "mastodon:https://social.example/@budi/1",
		URL:    "https://social.example/@budi/1",
		Author: store.Author{Handle: "@budi", DisplayName: "Budi " + phone},
		Text:   "kecewa bgt min, refund gk dibales! WA " + phone + " " + hostile,
	}
}

func testSigner(c *fakeClock) *AckSigner {
	return &AckSigner{Key: secret.New(strings.Repeat("k", 32)), Now: c.Now}
}

func testRenderer(c *fakeClock) *Renderer {
	return &Renderer{PublicURL: "https://pantau.example.com", Signer: testSigner(c), Mask: maskPhone, Now: c.Now}
}

func testMessage(c *fakeClock, action Action) Message {
	a := testAlert()
	switch action {
	case Acknowledge:
		a.State, a.By = store.AlertAcknowledged, "rina"
	case Resolve:
		a.State = store.AlertResolved
	}
	return testRenderer(c).Render(a, action, testMention())
}

// recorded is one request a fake receiver got.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeReceiver records requests and answers with the status its handler
// function chooses.
type fakeReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	answer func(r recorded) (int, http.Header, string)
}

func newFakeReceiver(t testing.TB, answer func(r recorded) (int, http.Header, string)) *fakeReceiver {
	f := &fakeReceiver{answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := recorded{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body}
		f.mu.Lock()
		f.reqs = append(f.reqs, rec)
		ans := f.answer
		f.mu.Unlock()
		code, h, text := http.StatusOK, http.Header(nil), "ok"
		if ans != nil {
			code, h, text = ans(rec)
		}
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(code)
		io.WriteString(w, text)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeReceiver) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeReceiver) setAnswer(a func(r recorded) (int, http.Header, string)) {
	f.mu.Lock()
	f.answer = a
	f.mu.Unlock()
}

// build builds one receiver config or fails the test.
func build(t testing.TB, c ReceiverConfig, d Deps) Notifier {
	t.Helper()
	rs, err := Build([]ReceiverConfig{c}, d)
	if err != nil {
		t.Fatal(err)
	}
	return rs[0].Notifier
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func ackParams(t testing.TB, link string) (int64, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("ack link %q", link)
	}
	exp, err := strconv.ParseInt(u.Query().Get("exp"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return exp, u.Query().Get("sig")
}
