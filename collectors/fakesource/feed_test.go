package fakesource

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Every format the demo serves must parse with gofeed and carry what the
// collectors read from it.
func TestDemoFeedsParse(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	feeds := Demo(c.Now)
	srv := httptest.NewServer(Mux(feeds))
	defer srv.Close()
	c.Add(time.Minute)
	for path, format := range DemoFeeds {
		t.Run(string(format), func(t *testing.T) {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("parse %s: %v\n%s", path, err, body)
			}
			if len(feed.Items) == 0 {
				t.Fatalf("%s: no items", path)
			}
			switch format {
			case Atom:
				found := false
				for _, it := range feed.Items {
					if r := it.Extensions["thr"]["in-reply-to"]; len(r) > 0 && r[0].Attrs["ref"] == "tag:social.example,2026:lost-1" {
						found = true
					}
				}
				if !found {
					t.Error("no thr:in-reply-to on the brand's reply")
				}
			case AppStore:
				if r := feed.Items[0].Extensions["im"]["rating"]; len(r) == 0 || r[0].Value == "" {
					t.Errorf("no im:rating: %+v", feed.Items[0].Extensions)
				}
			case GoogleAlerts:
				if !strings.HasPrefix(feed.Items[0].Link, "https://www.google.com/url?") {
					t.Errorf("link not wrapped: %s", feed.Items[0].Link)
				}
			}
		})
	}
}

func TestFeedConditionalGetAndRelease(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	f := Stream(c.Now, time.Second, 3, 10)
	srv := httptest.NewServer(f)
	defer srv.Close()
	get := func(etag string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	resp, body := get("")
	if !strings.Contains(body, "stream-000000") || strings.Contains(body, "stream-000001") {
		t.Fatalf("at start only item 0 is out: %s", body)
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := get(etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("unchanged feed answered %d, want 304", resp.StatusCode)
	}
	c.Add(5 * time.Second)
	_, body = get(etag)
	if strings.Contains(body, "stream-000002") || !strings.Contains(body, "stream-000005") {
		t.Fatalf("window of 3 should hold items 3..5: %s", body)
	}
	f.Freeze()
	c.Add(time.Minute)
	_, body = get("")
	if strings.Contains(body, "stream-000006") {
		t.Fatal("frozen feed released more")
	}
	if got := len(f.Served()); got != 4 {
		t.Fatalf("served %d distinct items, want 4 (0, 3, 4, 5)", got)
	}
}
