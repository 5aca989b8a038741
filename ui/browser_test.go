package ui

// These tests drive the real dashboard in a real headless Chromium: the
// embedded page, its modules, the API and the websocket together, under
// the real Content-Security-Policy. One Chromium serves the whole package;
// every test gets its own browser context (its own cookies), and a test
// that needs two users opens two. Without a browser they skip, unless
// PANTAU_REQUIRE_BROWSER=1 (as in CI), where a missing browser fails.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const browserTestTimeout = 90 * time.Second

// chromiumPath finds the browser, or skips (fails when it is required).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PANTAU_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PANTAU_REQUIRE_BROWSER") == "1" {
		t.Fatal("no Chromium found and PANTAU_REQUIRE_BROWSER=1 (apt-get install -y chromium)")
	}
	t.Skip("no Chromium found; set PANTAU_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// shared is the one Chromium of the package, started by the first browser
// test and stopped by TestMain.
var shared struct {
	once    sync.Once
	root    context.Context // a tab context whose browser the tests share
	err     error
	cancels []context.CancelFunc
	dir     string
}

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(shared.cancels) - 1; i >= 0; i-- {
		shared.cancels[i]()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

func sharedBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "pantau-chromium-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1440, 900),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		root, cancelRoot := chromedp.NewContext(allocCtx)
		shared.cancels = append(shared.cancels, cancelAlloc, cancelRoot)
		// The first Run starts the browser, which lives as long as the
		// context it gets: root itself, not a child with a deadline.
		if err := chromedp.Do(root); err != nil {
			shared.err = fmt.Errorf("start %s: %w", path, err)
			return
		}
		shared.root = root
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.root
}

// browser is one tab in its own browser context, and what its pages
// complained about (uncaught exceptions, console errors, CSP violations).
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	root := sharedBrowser(t)
	tabCtx, cancelTab := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	// The deadline bounds the test's use of the tab.
	ctx, cancel := context.WithTimeout(tabCtx, browserTestTimeout)
	t.Cleanup(cancel)
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		var p string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			p = "exception: " + exceptionText(ev.ExceptionDetails)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				p = "console.error: " + consoleArgs(ev.Args)
			}
		case *log.EventEntryAdded:
			if ev.Entry != nil && ev.Entry.Level == log.EntryLevelError {
				p = fmt.Sprintf("log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
		if p != "" {
			b.mu.Lock()
			b.problems = append(b.problems, p)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	return s
}

func consoleArgs(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		if a.Description != "" {
			parts = append(parts, a.Description)
		} else {
			parts = append(parts, string(a.Value))
		}
	}
	return strings.Join(parts, " ")
}

// checkProblems fails the test for every complaint of the page that allow
// does not excuse. The browser logs every HTTP error response as an
// error; expected refusals are excused by the test.
func (b *browser) checkProblems(t *testing.T, allow func(string) bool) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		if allow == nil || !allow(p) {
			t.Errorf("page problem: %s", p)
		}
	}
}

// httpErrors excuses the browser's log lines about HTTP error statuses
// (a 401 before login, a 403 the test provoked).
func httpErrors(codes ...int) func(string) bool {
	return func(p string) bool {
		for _, c := range codes {
			if strings.Contains(p, fmt.Sprintf("status of %d", c)) {
				return true
			}
		}
		return false
	}
}

func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// waitJS waits until the JavaScript expression is truthy.
func (b *browser) waitJS(t *testing.T, what, expr string) {
	t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("waiting for %s: %v (%s)", what, err, expr)
	}
}

func evalJS[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// awaitJS evaluates an expression that yields a promise.
func awaitJS[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// open loads the dashboard at a screen and waits for its websocket.
func (b *browser) open(t *testing.T, url, hash string) {
	t.Helper()
	b.do(t, chromedp.Navigate(url+"/"+hash))
	b.waitJS(t, "the live connection", `document.getElementById('conn').dataset.state === 'live'`)
}

// key presses one key on the page (not in an input).
func (b *browser) key(t *testing.T, k string) {
	t.Helper()
	b.do(t, chromedp.KeyEvent(k))
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func has(id, text string) string {
	return `document.getElementById(` + js(id) + `).textContent.includes(` + js(text) + `)`
}

// queueKeys is the order of the queue as shown.
const queueKeys = `[...document.querySelectorAll('#queue > li')].map(li => li.dataset.key)`

// screenshot saves the page as docs/screenshots/<name>.png when
// PANTAU_SCREENSHOTS=1 (so that ordinary runs leave the tree alone).
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("PANTAU_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
