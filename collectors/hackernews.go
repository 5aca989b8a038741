package collectors

import (
	"context"
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

	"github.com/pantau/pantau/store"
)

// KindHackerNews is the source kind for Hacker News through the Algolia search API.
const KindHackerNews = "hackernews"

const (
	hnAlgolia = "https://hn.algolia.com"
	hnWeb     = "https://news.ycombinator.com"
	// hnDefaultRPM: Algolia allows 10,000 requests an hour per IP; two a
	// second is the polite pace SOURCES.md settles on.
	hnDefaultRPM         = 120
	hnDefaultHitsPerPage = 100
	hnMaxHitsPerPage     = 1000
	hnDefaultMaxPages    = 5
	// hnOverlap covers Algolia's indexing lag: a comment written just
	// before the last poll may only become searchable after it.
	hnOverlap        = 15 * time.Minute
	hnMaxThreadNodes = 50000
)

// hnTags are the Algolia item tags a source may search.
var hnTags = []string{"story", "comment", "poll", "show_hn", "ask_hn", "front_page"}

var (
	hnIDPattern   = regexp.MustCompile(`^[0-9]{1,12}$`)
	hnUserPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{2,15}$`)
)

// HackerNewsConfig holds the settings of a hackernews source (the "hackernews:" section).
type HackerNewsConfig struct {
	// Tags selects what is searched: any of story, comment, poll,
	// show_hn, ask_hn, front_page (default story and comment).
	Tags []string `yaml:"tags"`
	// HitsPerPage is the page size (default 100, at most 1000).
	HitsPerPage int `yaml:"hits_per_page"`
	// MaxPages bounds the pages read per term and poll (default 5).
	MaxPages int `yaml:"max_pages"`
	// Backfill is how far back the first poll looks (default 24h).
	Backfill time.Duration `yaml:"backfill"`
	// RequestsPerMinute overrides the rate (default 120).
	RequestsPerMinute int `yaml:"requests_per_minute"`
}

func (c *HackerNewsConfig) validate(path string) []error {
	var cfg HackerNewsConfig
	if c != nil {
		cfg = *c
	}
	var errs []error
	for i, t := range cfg.Tags {
		if !slices.Contains(hnTags, t) {
			errs = append(errs, fieldErr(fmt.Sprintf("%s.tags[%d]", path, i), "unknown tag %q (allowed: %s)", truncateUTF8(t, 40), strings.Join(hnTags, ", ")))
		}
	}
	if cfg.HitsPerPage < 0 || cfg.HitsPerPage > hnMaxHitsPerPage {
		errs = append(errs, fieldErr(path+".hits_per_page", "must be between 1 and %d (0 means %d), got %d", hnMaxHitsPerPage, hnDefaultHitsPerPage, cfg.HitsPerPage))
	}
	errs = append(errs, checkMaxPages(path+".max_pages", cfg.MaxPages, 50)...)
	errs = append(errs, checkBackfill(path+".backfill", cfg.Backfill)...)
	errs = append(errs, checkRPM(path+".requests_per_minute", cfg.RequestsPerMinute)...)
	return errs
}

// HackerNews collects stories and comments from Algolia's HN search and,
// as a Refresher, points and brand replies from whole threads.
type HackerNews struct {
	name     string
	brand    string
	fetch    *Fetcher
	base     string
	tags     string // Algolia tags filter, e.g. "(story,comment)"
	perPage  int
	maxPages int
	backfill time.Duration

	terms     []string
	keywords  *keywordMatcher
	exclude   *keywordMatcher
	brandUser map[string]bool // lower-cased
	brandList []string        // as configured, for author_ tags

	hold holdOff
}

var (
	_ Refresher = (*HackerNews)(nil)
	_ Coverage  = (*HackerNews)(nil)
)

// NewHackerNews builds a hackernews collector. cfg should have passed
// Validate.
func NewHackerNews(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	if f == nil {
		return nil, errors.New("hackernews: nil Fetcher")
	}
	var hc HackerNewsConfig
	if cfg.HackerNews != nil {
		hc = *cfg.HackerNews
	}
	if errs := hc.validate("hackernews"); len(errs) > 0 {
		return nil, fmt.Errorf("hackernews source %q: %w", cfg.Name, errors.Join(errs...))
	}
	h := &HackerNews{
		name:      cfg.Name,
		brand:     brand.Name,
		fetch:     f,
		base:      hnAlgolia,
		perPage:   orDefault(hc.HitsPerPage, hnDefaultHitsPerPage),
		maxPages:  orDefault(hc.MaxPages, hnDefaultMaxPages),
		backfill:  orDefault(hc.Backfill, defaultBackfill),
		brandUser: accountSet(brand.Accounts[KindHackerNews], func(s string) string { return s }),
		exclude:   newKeywordMatcher(append(slices.Clone(cfg.Exclude), brand.Exclude...)),
	}
	if cfg.URL != "" {
		base, err := apiBaseURL(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("hackernews source %q: %w", cfg.Name, err)
		}
		h.base = base
	}
	for _, a := range brand.Accounts[KindHackerNews] {
		if a = strings.TrimSpace(a); hnUserPattern.MatchString(a) {
			h.brandList = append(h.brandList, a)
		}
	}
	slices.Sort(h.brandList)
	h.brandList = slices.Compact(h.brandList)
	tags := hc.Tags
	if len(tags) == 0 {
		tags = []string{"story", "comment"}
	}
	h.tags = "(" + strings.Join(tags, ",") + ")"
	terms, all := searchTerms(cfg, brand)
	if all || len(terms) == 0 {
		return nil, fmt.Errorf("hackernews source %q: needs search terms (keywords or the brand's terms); [\"*\"] would be all of Hacker News", cfg.Name)
	}
	h.terms = terms
	h.keywords = newKeywordMatcher(terms)
	rpm := orDefault(hc.RequestsPerMinute, hnDefaultRPM)
	for _, host := range hostsOf(h.base) {
		f.LimitHost(host, perMinute(rpm), 2)
	}
	return h, nil
}

func (h *HackerNews) Name() string { return h.name }
func (h *HackerNews) Kind() string { return KindHackerNews }

// Coverage says what the source sees.
func (h *HackerNews) Coverage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hacker News items tagged %s whose text contains %s, through Algolia's HN search (minutes of indexing lag)", h.tags, quoteList(h.terms))
	if len(h.brandList) > 0 {
		fmt.Fprintf(&b, ", and everything posted by %s", strings.Join(h.brandList, ", "))
	}
	b.WriteString(". Brand replies: found in the full thread of each watched item. ")
	fmt.Fprintf(&b, "Cannot see: mentions only inside linked articles, points of comments (HN does not publish them), follower counts (HN has none), more than %d new items per term between two polls, and flagged or dead items.", h.perPage*h.maxPages)
	return b.String()
}

func quoteList(terms []string) string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = strconv.Quote(t)
	}
	return strings.Join(q, ", ")
}

type hnCursor struct {
	hwmCursor
}

// hnHit is one Algolia search hit.
type hnHit struct {
	ObjectID    string   `json:"objectID"`
	Tags        []string `json:"_tags"`
	Author      string   `json:"author"`
	Title       string   `json:"title"`
	StoryText   string   `json:"story_text"`
	CommentText string   `json:"comment_text"`
	CreatedAtI  int64    `json:"created_at_i"`
	Points      *float64 `json:"points"`
	NumComments *float64 `json:"num_comments"`
	StoryID     *int64   `json:"story_id"`
	ParentID    *int64   `json:"parent_id"`
}

type hnSearchJSON struct {
	Hits    []json.RawMessage `json:"hits"`
	Page    *int              `json:"page"`
	NbPages int               `json:"nbPages"`
}

// Poll searches each term, and each brand account's posts, for items
// newer than the cursor.
func (h *HackerNews) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	cur := parseJSONCursor[hnCursor](cursor)
	now := h.fetch.Now().UTC()
	since := cur.since(now, h.backfill, hnOverlap)
	b := store.Batch{Source: h.name, Kind: KindHackerNews, At: now, Coverage: h.Coverage()}
	// Algolia's query has no OR: one search per term. Each covers the
	// whole window, so they share one high-water mark and seen set.
	var queries []url.Values
	for _, t := range h.terms {
		queries = append(queries, url.Values{"query": {t}, "tags": {h.tags}})
	}
	for _, a := range h.brandList {
		// The brand's own posts need not name the brand ("Sorry about
		// that, fixed now"): they are how a complaint gets answered.
		queries = append(queries, url.Values{"tags": {"(story,comment),author_" + a}})
	}
	for _, q := range queries {
		q.Set("numericFilters", fmt.Sprintf("created_at_i>%d", since.Unix()))
		q.Set("hitsPerPage", strconv.Itoa(h.perPage))
		if err := h.search(ctx, q, &cur.hwmCursor, since, now, &b); err != nil {
			return store.Batch{}, err
		}
	}
	if err := h.linkBrandComments(ctx, &b); err != nil {
		return store.Batch{}, err
	}
	cur.prune(hnOverlap)
	next, err := json.Marshal(cur)
	if err != nil {
		return store.Batch{}, fmt.Errorf("hackernews source %q: encode cursor: %w", h.name, err)
	}
	s := string(next)
	b.Cursor = &s
	return b, nil
}

func (h *HackerNews) search(ctx context.Context, q url.Values, cur *hwmCursor, since, now time.Time, b *store.Batch) error {
	for page := 0; page < h.maxPages; page++ {
		q.Set("page", strconv.Itoa(page))
		body, shown, err := h.get(ctx, "/api/v1/search_by_date", q)
		if err != nil {
			return err
		}
		var res hnSearchJSON
		if err := json.Unmarshal(body, &res); err != nil {
			return fmt.Errorf("hackernews source %q: malformed search response from %s: %s", h.name, shown, describeJSONError(body, err))
		}
		if res.Hits == nil || res.Page == nil {
			return fmt.Errorf("hackernews source %q: malformed search response from %s: no hits or page (not an Algolia search result)", h.name, shown)
		}
		for _, raw := range res.Hits {
			var hit hnHit
			if json.Unmarshal(raw, &hit) != nil || !hnIDPattern.MatchString(hit.ObjectID) || hit.CreatedAtI <= 0 {
				continue // skip the malformed hit, keep the rest
			}
			created := notAfterSkew(time.Unix(hit.CreatedAtI, 0), now)
			if !cur.fresh(hit.ObjectID, created, since) {
				continue
			}
			cur.saw(hit.ObjectID, created)
			if m, ok := h.hitMention(hit, created); ok {
				b.Mentions = append(b.Mentions, m)
				if !slices.Contains(hit.Tags, "comment") && (hit.Points != nil || hit.NumComments != nil) {
					b.Samples = append(b.Samples, store.MentionSample{Key: keyOf(m), Sample: store.Sample{At: now, Likes: floatCount(hit.Points), Replies: floatCount(hit.NumComments)}})
				}
			}
		}
		if *res.Page+1 >= res.NbPages || len(res.Hits) == 0 {
			break
		}
	}
	return nil
}

func (h *HackerNews) hitMention(hit hnHit, created time.Time) (store.Mention, bool) {
	if hit.Author == "" {
		return store.Mention{}, false // deleted
	}
	comment := slices.Contains(hit.Tags, "comment")
	title := ""
	text := htmlToText(hit.StoryText)
	if comment {
		text = htmlToText(hit.CommentText)
	} else {
		title = cleanText(hit.Title)
	}
	byBrand := h.brandUser[strings.ToLower(hit.Author)]
	// Match the item's own words only: Algolia also matches a comment
	// by its story's title, which would drown the queue in every
	// comment under a story about the brand.
	if !byBrand && (h.keywords.match(title, text) == "" || h.exclude.match(title, text) != "") {
		return store.Mention{}, false
	}
	m := h.mention(hit.ObjectID, hit.Author, title, text, created, byBrand)
	if comment {
		if hit.ParentID != nil && *hit.ParentID > 0 {
			m.ReplyTo = store.MentionKey(KindHackerNews, strconv.FormatInt(*hit.ParentID, 10))
		}
		if hit.StoryID != nil && *hit.StoryID > 0 && strconv.FormatInt(*hit.StoryID, 10) != hit.ObjectID {
			m.ThreadRoot = store.MentionKey(KindHackerNews, strconv.FormatInt(*hit.StoryID, 10))
		}
	}
	return m, true
}

func (h *HackerNews) mention(id, author, title, text string, created time.Time, byBrand bool) store.Mention {
	author = truncateUTF8(cleanText(author), maxAuthorBytes)
	a := store.Author{Handle: author, DisplayName: author}
	if hnUserPattern.MatchString(author) {
		a.ProfileURL = hnWeb + "/user?id=" + author
	}
	return store.Mention{
		Kind:      KindHackerNews,
		Source:    h.name,
		NativeID:  id,
		URL:       hnWeb + "/item?id=" + id,
		Brand:     h.brand,
		Author:    a,
		Title:     truncateUTF8(title, maxTitleBytes),
		Text:      truncateUTF8(text, maxTextBytes),
		CreatedAt: created,
		ByBrand:   byBrand,
	}
}

// hnItem is one node of Algolia's /api/v1/items/:id tree.
type hnItem struct {
	ID         int64    `json:"id"`
	Type       string   `json:"type"`
	Author     *string  `json:"author"`
	Title      *string  `json:"title"`
	Text       *string  `json:"text"`
	CreatedAtI int64    `json:"created_at_i"`
	Points     *float64 `json:"points"`
	ParentID   *int64   `json:"parent_id"`
	StoryID    *int64   `json:"story_id"`
	Children   []hnItem `json:"children"`
}

// Refresh reads the whole thread of every story the given mentions belong
// to (one request per story): points and reply counts become samples, and
// brand comments below a customer item become ByBrand mentions answering
// the nearest one (see answers). Other people's comments are not stored:
// the reply count measures them and they do not name the brand.
//
// The batch holds everything gathered even when err is not nil: ingest it
// either way.
func (h *HackerNews) Refresh(ctx context.Context, mentions []store.Mention) (store.Batch, error) {
	now := h.fetch.Now().UTC()
	b := store.Batch{Source: h.name, Kind: KindHackerNews, At: now}
	targets := map[string]*store.Mention{}
	var stories []string
	for i := range mentions {
		m := &mentions[i]
		if m.Kind != KindHackerNews || !hnIDPattern.MatchString(m.NativeID) {
			continue
		}
		targets[m.NativeID] = m
		story := m.NativeID
		if root := strings.TrimPrefix(m.ThreadRoot, KindHackerNews+":"); root != m.ThreadRoot && hnIDPattern.MatchString(root) {
			story = root
		}
		if !slices.Contains(stories, story) {
			stories = append(stories, story)
		}
	}
	var errs []error
	emitted := map[string]bool{}
	for _, story := range stories {
		root, err := h.thread(ctx, story)
		if err != nil {
			errs = append(errs, err)
			if stopRefresh(ctx, err) {
				break
			}
			continue
		}
		if root != nil {
			h.scanThread(root, targets, emitted, now, &b)
		}
	}
	return b, errors.Join(errs...)
}

// thread reads a story's whole tree; nil when it is gone.
func (h *HackerNews) thread(ctx context.Context, story string) (*hnItem, error) {
	body, shown, err := h.get(ctx, "/api/v1/items/"+story, nil)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			return nil, nil // deleted: nothing to find
		}
		return nil, err
	}
	var root hnItem
	if err := json.Unmarshal(body, &root); err != nil {
		return nil, fmt.Errorf("hackernews source %q: malformed item from %s: %s", h.name, shown, describeJSONError(body, err))
	}
	if root.ID <= 0 {
		return nil, fmt.Errorf("hackernews source %q: malformed item from %s: no id", h.name, shown)
	}
	return &root, nil
}

// walk visits every node of a tree (iteratively: a hostile tree must not
// exhaust the stack) with its ancestors, root first.
func walkHN(root *hnItem, visit func(it *hnItem, anc []*hnItem)) {
	type frame struct {
		item *hnItem
		anc  []*hnItem
	}
	stack := []frame{{root, nil}}
	for nodes := 0; len(stack) > 0 && nodes < hnMaxThreadNodes; nodes++ {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.item.ID <= 0 {
			continue
		}
		visit(f.item, f.anc)
		anc := append(slices.Clip(f.anc), f.item)
		for i := range f.item.Children {
			stack = append(stack, frame{&f.item.Children[i], anc})
		}
	}
}

func (it *hnItem) idString() string { return strconv.FormatInt(it.ID, 10) }

func (h *HackerNews) brandNode(it *hnItem) bool {
	return it.Author != nil && h.brandUser[strings.ToLower(*it.Author)]
}

// answers is the item a brand comment answers: its nearest ancestor that
// is a customer mention, either one of the watched targets or one this
// collector would store (its own words name the brand, no exclusion, not
// by the brand). Poll and Refresh use the same rule, so a brand reply
// gets the same ReplyTo whichever finds it first; the store keeps the
// first it is given.
func (h *HackerNews) answers(anc []*hnItem, targets map[string]*store.Mention) string {
	for i := len(anc) - 1; i >= 0; i-- {
		a := anc[i]
		if m := targets[a.idString()]; m != nil {
			if !m.ByBrand {
				return a.idString()
			}
			continue
		}
		if a.Author == nil || h.brandNode(a) {
			continue
		}
		title, text := "", ""
		if a.Title != nil && a.Type != "comment" {
			title = cleanText(*a.Title)
		}
		if a.Text != nil {
			text = htmlToText(*a.Text)
		}
		if h.keywords.match(title, text) != "" && h.exclude.match(title, text) == "" {
			return a.idString()
		}
	}
	return ""
}

func (h *HackerNews) scanThread(root *hnItem, targets map[string]*store.Mention, emitted map[string]bool, now time.Time, b *store.Batch) {
	replies := map[string]int64{}
	found := map[string]*hnItem{}
	walkHN(root, func(it *hnItem, anc []*hnItem) {
		id := it.idString()
		// Deleted comments (author and text null) are not counted, as
		// HN's own comment count leaves them out.
		if it.Author != nil || it.Text != nil {
			for _, a := range anc {
				if targets[a.idString()] != nil {
					replies[a.idString()]++
				}
			}
		}
		if targets[id] != nil {
			found[id] = it
			return
		}
		if !h.brandNode(it) || it.Text == nil || emitted[id] {
			return
		}
		if to := h.answers(anc, targets); to != "" {
			emitted[id] = true
			created := notAfterSkew(time.Unix(it.CreatedAtI, 0), now)
			m := h.mention(id, *it.Author, "", htmlToText(*it.Text), created, true)
			m.ReplyTo = store.MentionKey(KindHackerNews, to)
			m.ThreadRoot = store.MentionKey(KindHackerNews, root.idString())
			b.Mentions = append(b.Mentions, m)
		}
	})
	for _, id := range sortedKeys(found) {
		n := replies[id]
		s := store.Sample{At: now, Replies: &n}
		if found[id].Type != "comment" {
			// Algolia keeps points for stories; comments' are null.
			s.Likes = floatCount(found[id].Points)
		}
		b.Samples = append(b.Samples, store.MentionSample{Key: keyOf(*targets[id]), Sample: s})
	}
}

// linkBrandComments gives the brand comments a poll found the ReplyTo
// Refresh would give them (see answers): it reads each one's thread, once
// per story. A thread that is gone leaves the direct parent; any other
// failure fails the poll, which is retried with nothing lost.
func (h *HackerNews) linkBrandComments(ctx context.Context, b *store.Batch) error {
	byStory := map[string][]int{}
	var order []string
	for i, m := range b.Mentions {
		if !m.ByBrand || m.ReplyTo == "" || m.ThreadRoot == "" {
			continue
		}
		story := strings.TrimPrefix(m.ThreadRoot, KindHackerNews+":")
		if _, ok := byStory[story]; !ok {
			order = append(order, story)
		}
		byStory[story] = append(byStory[story], i)
	}
	for _, story := range order {
		root, err := h.thread(ctx, story)
		if err != nil {
			return err
		}
		if root == nil {
			continue
		}
		want := map[string]int{}
		for _, i := range byStory[story] {
			want[b.Mentions[i].NativeID] = i
		}
		walkHN(root, func(it *hnItem, anc []*hnItem) {
			if i, ok := want[it.idString()]; ok {
				if to := h.answers(anc, nil); to != "" {
					b.Mentions[i].ReplyTo = store.MentionKey(KindHackerNews, to)
				}
			}
		})
	}
	return nil
}

// get performs one Algolia GET. Algolia sends no rate-limit headers and
// no validators; a 429 holds further requests for its Retry-After.
func (h *HackerNews) get(ctx context.Context, path string, q url.Values) ([]byte, string, error) {
	u := h.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	shown := redactURL(u)
	now := h.fetch.Now()
	if d := h.hold.wait("api", now); d > 0 {
		return nil, shown, fmt.Errorf("hackernews source %q: %w", h.name, heldError(shown, d, "Algolia's rate limit"))
	}
	resp, err := h.fetch.Get(ctx, Request{URL: u, Header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusTooManyRequests && se.RetryAfter > 0 {
			h.hold.set("api", now.Add(se.RetryAfter))
		}
		return nil, shown, fmt.Errorf("hackernews source %q: %w", h.name, err)
	}
	return resp.Body, shown, nil
}
