package fakesource

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func TestYouTubeFakeShapes(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	s := YouTubeDemo(c.Now)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c.Add(time.Minute)
	_, body := fakeGet(t, srv.URL+"/feeds/videos.xml?channel_id="+DemoYouTubeChannel, nil)
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil || len(feed.Items) != 2 {
		t.Fatalf("feed: %v, %d items", err, len(feed.Items))
	}
	stats := feed.Items[1].Extensions["media"]["group"][0].Children["community"][0].Children["statistics"]
	if len(stats) == 0 || stats[0].Attrs["views"] != "15230" {
		t.Errorf("media:statistics = %+v", stats)
	}
	api := srv.URL + "/youtube/v3/commentThreads?part=snippet,replies&videoId=kilatVid001&order=time&maxResults=100&key="
	if r, body := fakeGet(t, api+"wrong", nil); r.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "API key not valid") {
		t.Errorf("wrong key: %d %s", r.StatusCode, body)
	}
	r, body := fakeGet(t, api+DemoYouTubeAPIKey, nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(string(body), `"totalReplyCount":2`) || !strings.Contains(string(body), DemoYouTubeChannel) {
		t.Errorf("threads: %d %s", r.StatusCode, body)
	}
	s.Quota = s.Units()
	if r, body := fakeGet(t, api+DemoYouTubeAPIKey, nil); r.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "quotaExceeded") {
		t.Errorf("over quota: %d %s", r.StatusCode, body)
	}
}
