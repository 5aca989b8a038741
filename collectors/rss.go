package collectors

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindRSS is the kind of RSS, Atom and JSON Feed sources (blogs, news,
// Google Alerts, App Store customer reviews, YouTube channels...).
const KindRSS = "rss"

const (
	// maxTextBytes caps a mention's text: enough for any review or
	// snippet, small enough that one hostile item cannot bloat the store.
	maxTextBytes   = 8 << 10
	maxTitleBytes  = 512
	maxAuthorBytes = 256
	maxURLBytes    = 2048
	// maxNativeIDBytes: longer ids are hashed (the store refuses keys
	// over 1 KiB).
	maxNativeIDBytes = 512
	// maxItemsPerPoll caps how many items one poll looks at (newest
	// first). A feed has no paging, so an item beyond the cap is never
	// seen again: the cap sits far above any real feed's size (and the
	// body cap already bounds the work); it only stops a hostile feed of
	// tiny items from making one batch unbounded.
	maxItemsPerPoll = 5000
	// staleAfter: items dated this much before the newest item already
	// seen are skipped. A site that republishes its whole archive (a
	// platform move, a feed bug) must not flood the queue with years-old
	// posts; later-delivered items of the last days still get through.
	staleAfter = 7 * 24 * time.Hour
	// maxFutureSkew: item dates further in the future than this are
	// wrong or hostile and are replaced by the poll time, so they do not
	// pin the mention to the top or break SLA clocks.
	maxFutureSkew = time.Hour
	// maxParseErrorBytes caps the parser's message in our error.
	maxParseErrorBytes = 300
)

// ErrMalformedFeed is wrapped by the error for a body that is not a feed.
var ErrMalformedFeed = errors.New("malformed feed")

// feedAccept asks for feeds but accepts anything: many servers label
// feeds text/xml or even text/html.
const feedAccept = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"

// RSS collects one RSS, Atom or JSON Feed URL with conditional GETs and
// keeps the items that mention the brand.
type RSS struct {
	name  string
	url   *url.URL
	brand string
	fetch *Fetcher
	token secret.Secret // bearer token for private feeds; may be unset

	keywords *keywordMatcher
	// explicitKeywords is true when the source set its own keywords,
	// which then apply to App Store reviews too.
	explicitKeywords bool
	exclude          *keywordMatcher
	// brandHandles are the brand's own "rss" accounts, lower-cased.
	brandHandles map[string]bool
}

var _ Collector = (*RSS)(nil)

// NewRSS builds the collector for an "rss" source. cfg should have passed
// Validate; brand is the brand it names.
func NewRSS(cfg SourceConfig, brand Brand, f *Fetcher) (*RSS, error) {
	if f == nil {
		return nil, errors.New("rss: nil Fetcher")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("rss source %q: url %s is not an absolute http or https URL", cfg.Name, redactURL(cfg.URL))
	}
	kw := cfg.Keywords
	if len(kw) == 0 {
		kw = brand.Terms
	}
	token, err := cfg.token()
	if err != nil {
		return nil, fmt.Errorf("rss source %q: token: %w", cfg.Name, err)
	}
	r := &RSS{
		token:            token,
		name:             cfg.Name,
		url:              u,
		brand:            brand.Name,
		fetch:            f,
		keywords:         newKeywordMatcher(kw),
		explicitKeywords: len(cfg.Keywords) > 0,
		// Exclusions add up: the brand's apply to every source.
		exclude:      newKeywordMatcher(append(slices.Clone(cfg.Exclude), brand.Exclude...)),
		brandHandles: map[string]bool{},
	}
	for _, h := range brand.Accounts[KindRSS] {
		r.brandHandles[strings.ToLower(strings.TrimSpace(h))] = true
	}
	return r, nil
}

// header is what every poll sends: the feed types we read and, for private
// feeds, the bearer token.
func (r *RSS) header() http.Header {
	h := http.Header{"Accept": {feedAccept}}
	if r.token.IsSet() {
		h.Set("Authorization", "Bearer "+r.token.Reveal())
	}
	return h
}

func (r *RSS) Name() string { return r.name }
func (r *RSS) Kind() string { return KindRSS }

// rssCursor is the RSS collector's cursor, stored as JSON.
type rssCursor struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Newest is the newest item date seen so far (the high-water mark).
	Newest time.Time `json:"newest,omitzero"`
}

// parseRSSCursor reads a cursor. A cursor that does not decode (from an
// older version, or damaged) only costs one unconditional GET, so it is
// treated as empty instead of failing every poll.
func parseRSSCursor(s string) rssCursor {
	var c rssCursor
	if s != "" && json.Unmarshal([]byte(s), &c) != nil {
		return rssCursor{}
	}
	return c
}

// Poll fetches the feed unless it is unchanged since cursor and returns the
// matching items as mentions.
func (r *RSS) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	cur := parseRSSCursor(cursor)
	now := r.fetch.Now().UTC()
	resp, err := r.fetch.Get(ctx, Request{
		URL:          r.url.String(),
		ETag:         cur.ETag,
		LastModified: cur.LastModified,
		Header:       r.header(),
	})
	if err != nil {
		return store.Batch{}, fmt.Errorf("rss source %q: %w", r.name, err)
	}
	b := store.Batch{Source: r.name, Kind: KindRSS, At: now}
	if resp.NotModified {
		same := cursor
		b.Cursor = &same
		return b, nil
	}
	feed, err := parseFeed(resp.Body)
	if err != nil {
		return store.Batch{}, fmt.Errorf("rss source %q: %w from %s: %s", r.name, ErrMalformedFeed, redactParsedURL(r.url), describeParseError(err, resp))
	}
	b.Mentions, cur.Newest = r.mentions(feed, itemLanguages(feed, resp.Body), now, cur.Newest)
	next, err := json.Marshal(rssCursor{ETag: resp.ETag, LastModified: resp.LastModified, Newest: cur.Newest})
	if err != nil {
		return store.Batch{}, fmt.Errorf("rss source %q: encode cursor: %w", r.name, err)
	}
	s := string(next)
	b.Cursor = &s
	return b, nil
}

// parseFeed parses a fetched body. A parser bug triggered by hostile input
// must cost one poll, not the daemon, so panics become errors.
func parseFeed(body []byte) (feed *gofeed.Feed, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("empty response body")
	}
	defer func() {
		if p := recover(); p != nil {
			feed, err = nil, fmt.Errorf("feed parser failed: %v", p)
		}
	}()
	p := gofeed.NewParser()
	// The original JSON Feed keeps the per-item language that the
	// universal Item drops.
	p.KeepOriginalFeed = true
	return p.Parse(bytes.NewReader(body))
}

func describeParseError(err error, resp *Response) string {
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		msg := "not an RSS, Atom or JSON feed"
		if ct := cleanText(resp.ContentType); ct != "" {
			msg += fmt.Sprintf(" (Content-Type %q)", truncateUTF8(ct, 100))
		}
		return msg
	}
	return truncateUTF8(cleanText(err.Error()), maxParseErrorBytes)
}

// candidate is an item on its way to becoming a mention.
type candidate struct {
	m        store.Mention
	parent   string // native id of the item it replies to, if any
	matched  bool   // a keyword matched (or it is an App Store review)
	excluded bool
}

// mentions maps the feed's items to mentions, keeping those about the
// brand. It returns them with the new high-water mark.
func (r *RSS) mentions(feed *gofeed.Feed, langs map[*gofeed.Item]string, now, newest time.Time) ([]store.Mention, time.Time) {
	items := slices.Clone(feed.Items)
	items = slices.DeleteFunc(items, func(it *gofeed.Item) bool { return it == nil })
	// Newest first, so the cap drops the oldest items whatever order the
	// feed uses. Undated items count as new.
	slices.SortStableFunc(items, func(a, b *gofeed.Item) int {
		ta, _ := itemTime(a, now)
		tb, _ := itemTime(b, now)
		return tb.Compare(ta)
	})
	if len(items) > maxItemsPerPoll {
		items = items[:maxItemsPerPoll]
	}
	// An App Store customer-reviews feed marks every review with im:
	// elements. There, an entry without a rating is the app's own
	// metadata, and every review is about the brand's app whatever its
	// words, unless the source set keywords of its own.
	appStore := slices.ContainsFunc(items, func(it *gofeed.Item) bool { return len(it.Extensions["im"]) > 0 })
	base := r.url
	if l, err := url.Parse(feed.Link); err == nil && l.IsAbs() {
		base = l
	}
	feedLang := primaryLang(feed.Language)
	stale := time.Time{}
	if !newest.IsZero() {
		stale = newest.Add(-staleAfter)
	}

	var cands []candidate
	high := newest
	for _, it := range items {
		created, dated := itemTime(it, now)
		if dated && created.After(high) {
			high = created
		}
		rating := imRating(it)
		if appStore && rating == nil {
			continue
		}
		if dated && created.Before(stale) {
			continue
		}
		title := htmlToText(it.Title)
		body := htmlToText(it.Content)
		if body == "" {
			body = htmlToText(it.Description)
		}
		link := itemLink(it, base)
		author := itemAuthor(it)
		lang := primaryLang(langs[it])
		if lang == "" {
			lang = feedLang
		}
		c := candidate{
			m: store.Mention{
				Kind:      KindRSS,
				Source:    r.name,
				NativeID:  nativeID(it, link),
				URL:       link,
				Brand:     r.brand,
				Author:    store.Author{Handle: author, DisplayName: author},
				Title:     truncateUTF8(title, maxTitleBytes),
				Text:      truncateUTF8(body, maxTextBytes),
				Rating:    rating,
				Lang:      lang,
				CreatedAt: created,
				ByBrand:   author != "" && r.brandHandles[strings.ToLower(author)],
			},
			matched:  r.keywords.match(title, body) != "" || (appStore && !r.explicitKeywords),
			excluded: r.exclude.match(title, body) != "",
		}
		if ref := inReplyTo(it); ref != "" {
			c.parent = normalizeNativeID(ref)
			c.m.ReplyTo = store.MentionKey(KindRSS, c.parent)
		}
		cands = append(cands, c)
	}
	return r.keep(cands), high
}

// keep decides which candidates become mentions: those that match the
// keywords and no exclusion; the brand's own posts, which rarely name the
// brand ("So sorry, please DM us") but are how Pantau knows a complaint was
// answered; and replies in this batch to a kept item, which carry the
// conversation (and its spread) without repeating the brand's name.
func (r *RSS) keep(cands []candidate) []store.Mention {
	kept := make([]bool, len(cands))
	keptIDs := map[string]bool{}
	for i, c := range cands {
		if c.m.ByBrand || (c.matched && !c.excluded) {
			kept[i], keptIDs[c.m.NativeID] = true, true
		}
	}
	// Follow reply chains of any depth; each pass adds at least one item
	// or stops.
	for changed := true; changed; {
		changed = false
		for i, c := range cands {
			if !kept[i] && !c.excluded && c.parent != "" && keptIDs[c.parent] {
				kept[i], keptIDs[c.m.NativeID], changed = true, true, true
			}
		}
	}
	var out []store.Mention
	for i, c := range cands {
		if kept[i] {
			out = append(out, c.m)
		}
	}
	return out
}

// inReplyTo returns the id an item answers: Atom threading's
// <thr:in-reply-to ref="..."> (RFC 4685), under whatever prefix the feed
// declared.
func inReplyTo(it *gofeed.Item) string {
	for _, byName := range it.Extensions {
		for _, e := range byName["in-reply-to"] {
			if ref := strings.TrimSpace(e.Attrs["ref"]); ref != "" {
				return ref
			}
		}
	}
	return ""
}

// itemTime is when an item was published, else updated, else now (dated is
// then false). Dates far in the future are not believed.
func itemTime(it *gofeed.Item, now time.Time) (t time.Time, dated bool) {
	switch {
	case it.PublishedParsed != nil && !it.PublishedParsed.IsZero():
		t = *it.PublishedParsed
	case it.UpdatedParsed != nil && !it.UpdatedParsed.IsZero():
		t = *it.UpdatedParsed
	default:
		return now, false
	}
	if t.After(now.Add(maxFutureSkew)) || t.Year() < 2000 {
		return now, false
	}
	return t.UTC(), true
}

// nativeID is the item's stable id: its GUID (Atom id), else its link, else
// a hash of its title and dates. Ids too long or odd to be keys are hashed.
func nativeID(it *gofeed.Item, link string) string {
	id := strings.TrimSpace(it.GUID)
	if id == "" {
		id = link
	}
	if id == "" {
		return "sha256:" + hashHex(it.Title, it.Published, it.Updated, it.Description)
	}
	return normalizeNativeID(id)
}

// normalizeNativeID hashes ids too long or odd to be store keys. Reply
// references go through it too, so they still point at the right item.
func normalizeNativeID(id string) string {
	if len(id) > maxNativeIDBytes || strings.ContainsFunc(id, isHiddenRune) {
		return "sha256:" + hashHex(id)
	}
	return id
}

func hashHex(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// itemLink returns the item's web URL: unwrapped from a Google redirect,
// resolved against the feed, http or https only (a "javascript:" link is
// an attack on whoever clicks it), or "".
func itemLink(it *gofeed.Item, base *url.URL) string {
	raw := strings.TrimSpace(it.Link)
	if raw == "" && len(it.Links) > 0 {
		raw = strings.TrimSpace(it.Links[0])
	}
	if raw == "" {
		return ""
	}
	u, err := base.Parse(raw)
	if err != nil {
		return ""
	}
	u = unwrapGoogleRedirect(u)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	s := u.String()
	if len(s) > maxURLBytes {
		return ""
	}
	return s
}

var googleHost = regexp.MustCompile(`^(www\.)?google\.(com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$`)

// unwrapGoogleRedirect turns Google Alerts' tracking links
// (https://www.google.com/url?rct=j&sa=t&url=REAL&ct=ga&...) into the real
// article URL. Anything else is returned as it is.
func unwrapGoogleRedirect(u *url.URL) *url.URL {
	if u.Path != "/url" || !googleHost.MatchString(strings.ToLower(u.Hostname())) {
		return u
	}
	q := u.Query()
	for _, key := range []string{"url", "q"} {
		real, err := url.Parse(q.Get(key))
		if err == nil && (real.Scheme == "http" || real.Scheme == "https") && real.Host != "" {
			return real
		}
	}
	return u
}

func itemAuthor(it *gofeed.Item) string {
	for _, p := range it.Authors {
		if p == nil {
			continue
		}
		if name := htmlToText(p.Name); name != "" {
			return truncateUTF8(name, maxAuthorBytes)
		}
	}
	return ""
}

// imRating reads an App Store review's im:rating (1..5).
func imRating(it *gofeed.Item) *int {
	ext := it.Extensions["im"]["rating"]
	if len(ext) == 0 {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(ext[0].Value))
	if err != nil || n < 1 || n > 5 {
		return nil
	}
	return &n
}

// primaryLang reduces a feed's language tag to its primary subtag
// ("en-US" -> "en", "id_ID" -> "id"); anything that is not a tag gives "".
func primaryLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	for _, c := range tag {
		if c < 'a' || c > 'z' {
			return ""
		}
	}
	return tag
}
