// Package fakesource serves scripted mentions over real HTTP in the formats
// real platforms use (RSS 2.0, Atom, JSON Feed, App Store review Atom,
// Google Alerts Atom). The demo runs Pantau against it, and tests use it
// as a platform fake: the collectors under test speak to it exactly as they
// would speak to the real thing.
package fakesource

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Format is the wire format a feed is served in.
type Format string

const (
	RSS          Format = "rss"          // RSS 2.0
	Atom         Format = "atom"         // Atom 1.0 with thr:in-reply-to (RFC 4685)
	JSONFeed     Format = "jsonfeed"     // JSON Feed 1.1
	AppStore     Format = "appstore"     // iTunes customer-reviews Atom with im:rating
	GoogleAlerts Format = "googlealerts" // Google Alerts Atom, links wrapped in google.com/url
)

// Item is one scripted post.
type Item struct {
	ID      string
	Author  string
	Title   string
	Text    string
	Link    string
	Lang    string
	ReplyTo string // the ID of the item this answers (Atom only)
	Rating  int    // App Store only, 1..5
	// Published is when the post was written; zero means when it is
	// released.
	Published time.Time
	// At is when the item appears in the feed, relative to the server's
	// start.
	At time.Duration
}

// Feed serves a list of items, each appearing once its time has come. It
// answers conditional GETs with 304 when nothing new has appeared, as well
// behaved feed servers do.
type Feed struct {
	Format Format
	Title  string
	// Window is how many of the newest items are served; 0 means all.
	Window int

	now   func() time.Time
	start time.Time

	mu     sync.Mutex
	items  []Item // sorted by At
	frozen bool
	served map[string]int // item ID -> times served
}

// NewFeed returns a feed whose clock starts now.
func NewFeed(format Format, title string, now func() time.Time, items ...Item) *Feed {
	f := &Feed{Format: format, Title: title, now: now, start: now(), served: map[string]int{}}
	f.Add(items...)
	return f
}

// Add schedules more items.
func (f *Feed) Add(items ...Item) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, items...)
	sort.SliceStable(f.items, func(i, j int) bool { return f.items[i].At < f.items[j].At })
}

// Freeze stops new items from appearing; the ones out stay served.
func (f *Feed) Freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.frozen {
		f.frozen = true
		// Keep only what is out now.
		f.items = f.released()
	}
}

// Served returns the IDs of every item this feed has sent at least once.
func (f *Feed) Served() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, 0, len(f.served))
	for id := range f.served {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Released is how many items have appeared in the feed so far.
func (f *Feed) Released() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.released())
}

// released returns the items whose time has come, oldest first. f.mu held.
func (f *Feed) released() []Item {
	elapsed := f.now().Sub(f.start)
	n := sort.Search(len(f.items), func(i int) bool { return f.items[i].At > elapsed })
	return f.items[:n]
}

func (f *Feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	etag, body, ctype, err := f.respond(r.Header.Get("If-None-Match"))
	switch {
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	case body == nil:
		w.WriteHeader(http.StatusNotModified)
	default:
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", ctype)
		w.Write(body)
	}
}

// respond picks the released items, renders them and counts them as
// served, all under one lock, so that Freeze and Served never fall between
// a response's choice of items and its count: a test that freezes the feed
// and then reads Served knows every item any response can carry. A nil
// body means the client's ETag is current.
func (f *Feed) respond(ifNoneMatch string) (etag string, body []byte, ctype string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.released()
	if f.Window > 0 && len(out) > f.Window {
		out = out[len(out)-f.Window:]
	}
	// The newest released item identifies this version of the feed.
	etag = `"empty"`
	if len(out) > 0 {
		etag = fmt.Sprintf(`"%d-%s"`, len(out), url.PathEscape(out[len(out)-1].ID))
	}
	if ifNoneMatch == etag {
		return etag, nil, "", nil
	}
	body, ctype, err = f.render(out)
	if err != nil {
		return "", nil, "", err
	}
	for _, it := range out {
		f.served[it.ID]++
	}
	return etag, body, ctype, nil
}

func (f *Feed) published(it Item) time.Time {
	if !it.Published.IsZero() {
		return it.Published.UTC()
	}
	return f.start.Add(it.At).UTC()
}

func (f *Feed) render(items []Item) ([]byte, string, error) {
	// Feeds list the newest first.
	rev := make([]Item, len(items))
	for i, it := range items {
		rev[len(items)-1-i] = it
	}
	switch f.Format {
	case RSS:
		return f.renderRSS(rev)
	case Atom, GoogleAlerts, AppStore:
		return f.renderAtom(rev)
	case JSONFeed:
		return f.renderJSON(rev)
	}
	return nil, "", fmt.Errorf("unknown format %q", f.Format)
}

func (f *Feed) renderRSS(items []Item) ([]byte, string, error) {
	type guid struct {
		IsPermaLink string `xml:"isPermaLink,attr"`
		Value       string `xml:",chardata"`
	}
	type item struct {
		Title   string `xml:"title"`
		Link    string `xml:"link"`
		GUID    guid   `xml:"guid"`
		Author  string `xml:"dc:creator"`
		PubDate string `xml:"pubDate"`
		Desc    string `xml:"description"`
	}
	type channel struct {
		Title string `xml:"title"`
		Link  string `xml:"link"`
		Lang  string `xml:"language,omitempty"`
		Items []item `xml:"item"`
	}
	type rss struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		DC      string   `xml:"xmlns:dc,attr"`
		Channel channel  `xml:"channel"`
	}
	doc := rss{Version: "2.0", DC: "http://purl.org/dc/elements/1.1/", Channel: channel{Title: f.Title, Link: "http://localhost/"}}
	for _, it := range items {
		doc.Channel.Items = append(doc.Channel.Items, item{
			Title: it.Title, Link: it.Link, GUID: guid{IsPermaLink: "false", Value: it.ID}, Author: it.Author,
			PubDate: f.published(it).Format(time.RFC1123Z), Desc: it.Text,
		})
	}
	return marshalXML(doc, "application/rss+xml; charset=utf-8")
}

func (f *Feed) renderAtom(items []Item) ([]byte, string, error) {
	type link struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr,omitempty"`
	}
	type person struct {
		Name string `xml:"name"`
	}
	type inReplyTo struct {
		Ref string `xml:"ref,attr"`
	}
	type rating struct {
		Value string `xml:",chardata"`
	}
	type content struct {
		Type  string `xml:"type,attr"`
		Value string `xml:",chardata"`
	}
	type entry struct {
		ID        string     `xml:"id"`
		Title     string     `xml:"title"`
		Link      link       `xml:"link"`
		Updated   string     `xml:"updated"`
		Published string     `xml:"published,omitempty"`
		Author    person     `xml:"author"`
		Lang      string     `xml:"xml:lang,attr,omitempty"`
		Content   content    `xml:"content"`
		InReplyTo *inReplyTo `xml:"thr:in-reply-to,omitempty"`
		Rating    *rating    `xml:"im:rating,omitempty"`
	}
	type feed struct {
		XMLName xml.Name `xml:"feed"`
		NS      string   `xml:"xmlns,attr"`
		Thr     string   `xml:"xmlns:thr,attr,omitempty"`
		IM      string   `xml:"xmlns:im,attr,omitempty"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Entries []entry  `xml:"entry"`
	}
	doc := feed{NS: "http://www.w3.org/2005/Atom", ID: "urn:pantau:fake:" + url.PathEscape(f.Title), Title: f.Title,
		Updated: f.now().UTC().Format(time.RFC3339)}
	switch f.Format {
	case Atom:
		doc.Thr = "http://purl.org/syndication/thread/1.0"
	case AppStore:
		doc.IM = "http://itunes.apple.com/rss"
	}
	for _, it := range items {
		e := entry{ID: it.ID, Title: it.Title, Link: link{Href: it.Link, Rel: "alternate"}, Author: person{Name: it.Author},
			Updated: f.published(it).Format(time.RFC3339), Published: f.published(it).Format(time.RFC3339),
			Content: content{Type: "html", Value: it.Text}, Lang: it.Lang}
		switch f.Format {
		case Atom:
			if it.ReplyTo != "" {
				e.InReplyTo = &inReplyTo{Ref: it.ReplyTo}
			}
		case AppStore:
			e.Rating = &rating{Value: strconv.Itoa(it.Rating)}
			e.Published = ""
		case GoogleAlerts:
			// Google Alerts wraps the article's address in a redirect.
			e.Link.Href = "https://www.google.com/url?rct=j&sa=t&url=" + url.QueryEscape(it.Link) + "&ct=ga&cd=CAIyGjE&usg=AOvVaw0"
			e.Author = person{}
		}
		doc.Entries = append(doc.Entries, e)
	}
	return marshalXML(doc, "application/atom+xml; charset=utf-8")
}

func (f *Feed) renderJSON(items []Item) ([]byte, string, error) {
	type author struct {
		Name string `json:"name"`
	}
	type item struct {
		ID        string   `json:"id"`
		URL       string   `json:"url,omitempty"`
		Title     string   `json:"title,omitempty"`
		Content   string   `json:"content_text"`
		Published string   `json:"date_published"`
		Authors   []author `json:"authors,omitempty"`
		Language  string   `json:"language,omitempty"`
	}
	doc := struct {
		Version string `json:"version"`
		Title   string `json:"title"`
		Items   []item `json:"items"`
	}{Version: "https://jsonfeed.org/version/1.1", Title: f.Title, Items: []item{}}
	for _, it := range items {
		doc.Items = append(doc.Items, item{ID: it.ID, URL: it.Link, Title: it.Title, Content: it.Text,
			Published: f.published(it).Format(time.RFC3339), Authors: []author{{Name: it.Author}}, Language: it.Lang})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	return b, "application/feed+json; charset=utf-8", err
}

func marshalXML(v any, ctype string) ([]byte, string, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, "", err
	}
	return append([]byte(xml.Header), b...), ctype, nil
}

// Stream returns a feed that releases one generated item every interval,
// forever, serving the newest window of them: a busy source for crash and
// load tests.
func Stream(now func() time.Time, interval time.Duration, window int, count int) *Feed {
	f := NewFeed(RSS, "stream", now)
	f.Window = window
	items := make([]Item, count)
	for i := range items {
		items[i] = Item{
			ID:     fmt.Sprintf("stream-%06d", i),
			Author: "user" + strconv.Itoa(i%97),
			Title:  "Kilat Express mention " + strconv.Itoa(i),
			Text:   streamTexts[i%len(streamTexts)],
			Link:   fmt.Sprintf("https://forum.example/t/%d", i),
			At:     time.Duration(i) * interval,
		}
	}
	f.Add(items...)
	return f
}

var streamTexts = []string{
	"Kilat Express paket saya belum sampai, udah 4 hari",
	"Thanks Kilat Express, quick delivery today",
	"Kilat Express kurirnya ramah banget",
	"Why is Kilat Express tracking down again?",
}

// Mux serves several feeds under their paths.
func Mux(feeds map[string]*Feed) http.Handler {
	mux := http.NewServeMux()
	for path, f := range feeds {
		mux.Handle("GET "+path, f)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		paths := make([]string, 0, len(feeds))
		for p := range feeds {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		fmt.Fprintf(w, "Pantau fake sources:\n%s\n", strings.Join(paths, "\n"))
	})
	return mux
}
