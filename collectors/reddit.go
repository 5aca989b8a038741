package collectors

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindReddit is the source kind for Reddit: search.json sorted by new.
const KindReddit = "reddit"

const (
	redditWeb       = "https://www.reddit.com"
	redditOAuthAPI  = "https://oauth.reddit.com"
	redditTokenPath = "/api/v1/access_token"
	// Reddit's free-tier limits (2023 onwards): 10 requests a minute
	// without OAuth, 100 a minute per OAuth client.
	redditAnonRPM  = 10
	redditOAuthRPM = 100
	redditPageSize = 100
	// redditDefaultMaxPages: three pages of 100 every poll is 300 new
	// posts, far above any brand's normal volume, for at most 3 of the 10
	// requests a minute an anonymous client gets.
	redditDefaultMaxPages = 3
	// redditOverlap: Reddit's search index lags behind posting, so each
	// poll looks this far below the newest post already seen and skips
	// the ones it remembers.
	redditOverlap   = time.Hour
	redditMaxQuery  = 512
	redditByIDChunk = 100
	// redditTokenMargin: a token is renewed this long before Reddit says
	// it expires, so a request never carries one that dies in flight.
	redditTokenMargin = time.Minute
	// redditMaxThreadNodes bounds the work on one comment tree whatever
	// the server sends.
	redditMaxThreadNodes = 20000
	redditUAExample      = "linux:com.example.pantau:v0.1.0 (by /u/your_reddit_user)"
)

var (
	// redditUAPattern is Reddit's required User-Agent,
	// "<platform>:<app ID>:<version string> (by /u/<reddit username>)".
	// Default agents ("Go-http-client/1.1") are throttled hard, and a
	// browser's gets the client banned, so the format is enforced.
	redditUAPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*:[A-Za-z0-9][A-Za-z0-9_.-]*:v?[0-9][A-Za-z0-9_.+-]* \(by /u/[A-Za-z0-9_-]{3,20}\)$`)
	subredditPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_]{1,20}$`)
	redditUserPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{3,20}$`)
	redditFullname    = regexp.MustCompile(`^t[1-6]_[a-z0-9]{1,16}$`)
	redditClientID    = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)
)

// RedditConfig holds the settings of a reddit source (the "reddit:" section).
type RedditConfig struct {
	// UserAgent is required by Reddit, in its own format:
	// "<platform>:<app id>:<version> (by /u/<username>)", e.g.
	// "linux:com.kilat.pantau:v0.1.0 (by /u/kilat_ops)".
	UserAgent string `yaml:"user_agent"`
	// Subreddits restricts the search to these communities (without
	// "r/"). Empty searches all of Reddit. With keywords ["*"] every new
	// post in them is kept.
	Subreddits []string `yaml:"subreddits"`
	// BrandSubreddits are communities the brand moderates: a comment
	// distinguished as a moderator's there counts as the brand's reply.
	BrandSubreddits []string `yaml:"brand_subreddits"`
	// ClientID and ClientSecret enable OAuth (application-only
	// "client_credentials"): 100 requests a minute instead of 10. Reddit
	// approves new apps by hand since late 2025; existing keys work.
	ClientID         string        `yaml:"client_id"`
	ClientSecret     secret.Secret `yaml:"client_secret"`
	ClientSecretFile string        `yaml:"client_secret_file"`
	// Username and Password switch OAuth to a "script" app's password
	// grant, for operators whose app is registered that way.
	Username     string        `yaml:"username"`
	Password     secret.Secret `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`
	// MaxPages bounds the pages of 100 read per poll (default 3).
	MaxPages int `yaml:"max_pages"`
	// Backfill is how far back the first poll looks (default 24h).
	Backfill time.Duration `yaml:"backfill"`
	// RequestsPerMinute overrides the rate (default 10, or 100 with
	// OAuth). Raise it only for a proxy or a test fake of your own.
	RequestsPerMinute int `yaml:"requests_per_minute"`
}

func (c *RedditConfig) validate(path string) []error {
	var cfg RedditConfig
	if c != nil {
		cfg = *c
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(path+"."+field, format, args...))
	}
	switch ua := cfg.UserAgent; {
	case strings.TrimSpace(ua) == "":
		add("user_agent", "required: Reddit asks every client for a unique User-Agent like %q", redditUAExample)
	case !redditUAPattern.MatchString(ua):
		add("user_agent", "%q is not in Reddit's format <platform>:<app id>:<version> (by /u/<username>), e.g. %q", truncateUTF8(ua, 120), redditUAExample)
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"subreddits", cfg.Subreddits}, {"brand_subreddits", cfg.BrandSubreddits}} {
		for i, s := range f.list {
			if !subredditPattern.MatchString(trimSubreddit(s)) {
				add(fmt.Sprintf("%s[%d]", f.name, i), "%q is not a subreddit name (letters, digits and '_', 2 to 21 characters, without r/)", truncateUTF8(s, 40))
			}
		}
	}
	cs, err := secret.Resolve(cfg.ClientSecret, cfg.ClientSecretFile)
	if err != nil {
		add("client_secret_file", "%v", err)
	}
	pw, err := secret.Resolve(cfg.Password, cfg.PasswordFile)
	if err != nil {
		add("password_file", "%v", err)
	}
	switch {
	case cfg.ClientID == "" && cs.IsSet():
		add("client_id", "required with client_secret")
	case cfg.ClientID != "" && !cs.IsSet() && cfg.ClientSecretFile == "":
		add("client_secret", "required with client_id (or client_secret_file)")
	}
	if cfg.ClientID != "" && !redditClientID.MatchString(cfg.ClientID) {
		add("client_id", "does not look like a Reddit app id (letters, digits, '-' and '_')")
	}
	switch {
	case cfg.Username != "" && !redditUserPattern.MatchString(trimRedditUser(cfg.Username)):
		add("username", "%q is not a Reddit username", truncateUTF8(cfg.Username, 40))
	case cfg.Username != "" && !pw.IsSet() && cfg.PasswordFile == "":
		add("password", "required with username (or password_file)")
	case cfg.Username == "" && (pw.IsSet() || cfg.PasswordFile != ""):
		add("username", "required with password")
	}
	if cfg.Username != "" && cfg.ClientID == "" {
		add("client_id", "required with username: a script app signs in with its client id and secret too")
	}
	errs = append(errs, checkMaxPages(path+".max_pages", cfg.MaxPages, 10)...)
	errs = append(errs, checkBackfill(path+".backfill", cfg.Backfill)...)
	errs = append(errs, checkRPM(path+".requests_per_minute", cfg.RequestsPerMinute)...)
	return errs
}

func trimSubreddit(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "/")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "r/"), "R/")
	return strings.TrimSuffix(s, "/")
}

func trimRedditUser(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"/u/", "u/", "/user/", "@"} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// Reddit collects posts from Reddit's search, the brand accounts' own
// comments, and (as a Refresher) scores and brand replies in threads.
type Reddit struct {
	name     string
	brand    string
	fetch    *Fetcher
	ua       string
	maxPages int
	backfill time.Duration

	apiBase   string // unauthenticated API (www.reddit.com or a fake)
	oauthBase string // OAuth API (oauth.reddit.com or the same fake)
	tokenURL  string

	clientID     string
	clientSecret secret.Secret
	username     string
	password     secret.Secret

	query     string // the search query; "" lists new posts (keywords ["*"])
	subs      []string
	keywords  *keywordMatcher
	exclude   *keywordMatcher
	brandUser map[string]bool // lower-cased
	brandList []string        // as configured, for the history path
	brandSubs map[string]bool // lower-cased

	hold holdOff

	tokMu  sync.Mutex
	tok    string
	tokExp time.Time
}

var (
	_ Refresher = (*Reddit)(nil)
	_ Coverage  = (*Reddit)(nil)
)

// NewReddit builds a reddit collector. cfg should have passed Validate.
func NewReddit(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	if f == nil {
		return nil, errors.New("reddit: nil Fetcher")
	}
	var rc RedditConfig
	if cfg.Reddit != nil {
		rc = *cfg.Reddit
	}
	if errs := rc.validate("reddit"); len(errs) > 0 {
		return nil, fmt.Errorf("reddit source %q: %w", cfg.Name, errors.Join(errs...))
	}
	r := &Reddit{
		name:      cfg.Name,
		brand:     brand.Name,
		fetch:     f,
		ua:        rc.UserAgent,
		maxPages:  orDefault(rc.MaxPages, redditDefaultMaxPages),
		backfill:  orDefault(rc.Backfill, defaultBackfill),
		apiBase:   redditWeb,
		oauthBase: redditOAuthAPI,
		tokenURL:  redditWeb + redditTokenPath,
		clientID:  rc.ClientID,
		username:  trimRedditUser(rc.Username),
		brandUser: accountSet(brand.Accounts[KindReddit], trimRedditUser),
		brandSubs: map[string]bool{},
	}
	if cfg.URL != "" {
		// One base for everything: a proxy or a test fake serves the
		// anonymous API, the OAuth API and the token endpoint alike.
		base, err := apiBaseURL(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("reddit source %q: %w", cfg.Name, err)
		}
		r.apiBase, r.oauthBase, r.tokenURL = base, base, base+redditTokenPath
	}
	var err error
	if r.clientSecret, err = secret.Resolve(rc.ClientSecret, rc.ClientSecretFile); err != nil {
		return nil, fmt.Errorf("reddit source %q: client_secret: %w", cfg.Name, err)
	}
	if r.password, err = secret.Resolve(rc.Password, rc.PasswordFile); err != nil {
		return nil, fmt.Errorf("reddit source %q: password: %w", cfg.Name, err)
	}
	for _, a := range brand.Accounts[KindReddit] {
		if a = trimRedditUser(a); redditUserPattern.MatchString(a) && !slices.Contains(r.brandList, a) {
			r.brandList = append(r.brandList, a)
		}
	}
	slices.Sort(r.brandList)
	for _, s := range rc.Subreddits {
		r.subs = append(r.subs, trimSubreddit(s))
	}
	for _, s := range rc.BrandSubreddits {
		r.brandSubs[strings.ToLower(trimSubreddit(s))] = true
	}
	terms, all := searchTerms(cfg, brand)
	r.keywords = newKeywordMatcher(terms)
	if all {
		r.keywords = newKeywordMatcher([]string{matchAll})
	}
	r.exclude = newKeywordMatcher(append(slices.Clone(cfg.Exclude), brand.Exclude...))
	switch {
	case all && len(r.subs) == 0:
		return nil, fmt.Errorf("reddit source %q: keywords [\"*\"] needs subreddits: Reddit cannot list every new post site-wide", cfg.Name)
	case !all && len(terms) == 0:
		return nil, fmt.Errorf("reddit source %q: no search terms (set keywords or the brand's terms)", cfg.Name)
	case !all:
		r.query = redditQuery(terms)
		if len(r.query) > redditMaxQuery {
			return nil, fmt.Errorf("reddit source %q: the search query built from %d terms is %d bytes; Reddit accepts at most %d: use fewer or shorter keywords", cfg.Name, len(terms), len(r.query), redditMaxQuery)
		}
	}

	rpm := rc.RequestsPerMinute
	if rpm == 0 {
		rpm = redditAnonRPM
		if r.oauth() {
			rpm = redditOAuthRPM
		}
	}
	for _, h := range hostsOf(r.apiBase, r.oauthBase, r.tokenURL) {
		// Burst 1: Reddit averages over its window, and a burst of
		// anonymous requests is what gets an IP throttled.
		f.LimitHost(h, perMinute(rpm), 1)
	}
	return r, nil
}

// redditQuery joins the terms with OR, quoting phrases. Reddit's search
// takes Lucene-like syntax; quotes inside a term would break it and
// are dropped (the local keyword match still sees the whole term).
func redditQuery(terms []string) string {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		t = strings.Join(strings.Fields(strings.ReplaceAll(t, `"`, " ")), " ")
		if t == "" {
			continue
		}
		if strings.ContainsAny(t, " :()") {
			t = `"` + t + `"`
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " OR ")
}

func (r *Reddit) Name() string { return r.name }
func (r *Reddit) Kind() string { return KindReddit }

func (r *Reddit) oauth() bool { return r.clientID != "" && r.clientSecret.IsSet() }

// Coverage says what the source sees.
func (r *Reddit) Coverage() string {
	var b strings.Builder
	switch {
	case r.query == "":
		fmt.Fprintf(&b, "Every new post in r/%s. ", strings.Join(r.subs, ", r/"))
	case len(r.subs) > 0:
		fmt.Fprintf(&b, "Posts (title and text) matching %s in r/%s, newest first, through Reddit search. ", r.query, strings.Join(r.subs, ", r/"))
	default:
		fmt.Fprintf(&b, "Posts (title and text) matching %s anywhere on Reddit, newest first, through Reddit search. ", r.query)
	}
	if len(r.brandUser) > 0 {
		b.WriteString("Brand replies: the brand accounts' comment history and the comment trees of watched posts. ")
	} else {
		b.WriteString("No brand accounts are configured for reddit, so brand replies cannot be recognised. ")
	}
	b.WriteString("Cannot see: comments that mention the brand (the API has no comment search), more than ~1,000 search results, ")
	fmt.Fprintf(&b, "more than %d new posts between two polls, comments behind \"load more\" in big threads, deleted or removed text, and follower counts (Reddit has none). ", r.maxPages*redditPageSize)
	if r.oauth() {
		b.WriteString("OAuth: 100 requests a minute.")
	} else {
		b.WriteString("Without OAuth: 10 requests a minute.")
	}
	return b.String()
}

// redditCursor is the reddit collector's cursor, stored as JSON: one
// high-water mark for posts and the brand accounts' comments together.
type redditCursor struct {
	hwmCursor
}

// Poll searches for new posts and collects the brand accounts' new
// comments.
func (r *Reddit) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	cur := parseJSONCursor[redditCursor](cursor)
	now := r.fetch.Now().UTC()
	since := cur.since(now, r.backfill, redditOverlap)
	b := store.Batch{Source: r.name, Kind: KindReddit, At: now, Coverage: r.Coverage()}
	if err := r.pollPosts(ctx, &cur.hwmCursor, since, now, &b); err != nil {
		return store.Batch{}, err
	}
	for _, acct := range r.brandList {
		if err := r.pollBrandComments(ctx, acct, &cur.hwmCursor, since, now, &b); err != nil {
			return store.Batch{}, err
		}
	}
	cur.prune(redditOverlap)
	next, err := json.Marshal(cur)
	if err != nil {
		return store.Batch{}, fmt.Errorf("reddit source %q: encode cursor: %w", r.name, err)
	}
	s := string(next)
	b.Cursor = &s
	return b, nil
}

func (r *Reddit) pollPosts(ctx context.Context, cur *hwmCursor, since, now time.Time, b *store.Batch) error {
	path := "/search.json"
	q := url.Values{"limit": {strconv.Itoa(redditPageSize)}, "raw_json": {"1"}}
	switch {
	case r.query == "":
		path = "/r/" + strings.Join(r.subs, "+") + "/new.json"
	default:
		if len(r.subs) > 0 {
			path = "/r/" + strings.Join(r.subs, "+") + "/search.json"
			q.Set("restrict_sr", "1")
		}
		q.Set("q", r.query)
		q.Set("sort", "new")
		q.Set("type", "link")
		q.Set("t", redditWindow(now.Sub(since)))
	}
	after := ""
	for page := 0; page < r.maxPages; page++ {
		if after != "" {
			q.Set("after", after)
		}
		children, next, err := r.listing(ctx, path, q)
		if err != nil {
			return err
		}
		reached := false
		for _, raw := range children {
			p, ok := decodeRedditThing[redditPost](raw, "t3")
			if !ok || !redditFullname.MatchString(p.Name) || p.CreatedUTC <= 0 {
				continue // one malformed post does not spoil the page
			}
			created := notAfterSkew(unixFloat(p.CreatedUTC), now)
			if !created.After(since) {
				// Newest first: everything below is older still.
				reached = true
				continue
			}
			if !cur.fresh(p.Name, created, since) {
				continue
			}
			cur.saw(p.Name, created)
			if m, ok := r.postMention(p, created); ok {
				b.Mentions = append(b.Mentions, m)
				b.Samples = append(b.Samples, redditSample(keyOf(m), now, p.Score, p.NumComments))
			}
		}
		if reached || next == "" {
			break
		}
		after = next
	}
	return nil
}

// pollBrandComments reads one brand account's newest comments: a reply
// the brand made anywhere marks the thread's post answered at the next
// poll, without waiting for a refresh of the thread.
func (r *Reddit) pollBrandComments(ctx context.Context, acct string, cur *hwmCursor, since, now time.Time, b *store.Batch) error {
	children, _, err := r.listing(ctx, "/user/"+acct+"/comments.json", url.Values{"sort": {"new"}, "limit": {strconv.Itoa(redditPageSize)}, "raw_json": {"1"}})
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusForbidden) {
			// A suspended or renamed brand account must not stop the
			// source; the post search still works.
			return nil
		}
		return err
	}
	for _, raw := range children {
		c, ok := decodeRedditThing[redditComment](raw, "t1")
		if !ok || !redditFullname.MatchString(c.Name) || !strings.HasPrefix(c.LinkID, "t3_") || c.CreatedUTC <= 0 {
			continue
		}
		created := notAfterSkew(unixFloat(c.CreatedUTC), now)
		if !created.After(since) || !cur.fresh(c.Name, created, since) {
			continue
		}
		cur.saw(c.Name, created)
		if redditGone(c.Author, c.Body) {
			continue
		}
		b.Mentions = append(b.Mentions, r.brandReply(c, created, c.LinkID))
	}
	return nil
}

// redditWindow is the smallest of Reddit's search windows ("t") that
// covers d, so the search engine has less to sort through.
func redditWindow(d time.Duration) string {
	switch {
	case d <= 50*time.Minute:
		return "hour"
	case d <= 23*time.Hour:
		return "day"
	case d <= 6*24*time.Hour:
		return "week"
	case d <= 29*24*time.Hour:
		return "month"
	case d <= 360*24*time.Hour:
		return "year"
	}
	return "all"
}

type redditThingJSON struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

type redditListingJSON struct {
	Kind string `json:"kind"`
	Data *struct {
		After    string            `json:"after"`
		Children []json.RawMessage `json:"children"`
	} `json:"data"`
}

type redditPost struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Subreddit         string   `json:"subreddit"`
	Author            string   `json:"author"`
	Title             string   `json:"title"`
	Selftext          string   `json:"selftext"`
	Permalink         string   `json:"permalink"`
	Distinguished     string   `json:"distinguished"`
	CreatedUTC        float64  `json:"created_utc"`
	Score             *float64 `json:"score"`
	NumComments       *float64 `json:"num_comments"`
	RemovedByCategory *string  `json:"removed_by_category"`
}

type redditComment struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	Subreddit     string          `json:"subreddit"`
	Author        string          `json:"author"`
	Body          string          `json:"body"`
	ParentID      string          `json:"parent_id"`
	LinkID        string          `json:"link_id"`
	Permalink     string          `json:"permalink"`
	Distinguished string          `json:"distinguished"`
	CreatedUTC    float64         `json:"created_utc"`
	Score         *float64        `json:"score"`
	Replies       json.RawMessage `json:"replies"`
}

// decodeRedditThing decodes one listing child of the wanted kind.
func decodeRedditThing[T any](raw json.RawMessage, kind string) (T, bool) {
	var zero, v T
	var th redditThingJSON
	if json.Unmarshal(raw, &th) != nil || th.Kind != kind || len(th.Data) == 0 {
		return zero, false
	}
	if json.Unmarshal(th.Data, &v) != nil {
		return zero, false
	}
	return v, true
}

// listing GETs a Listing and returns its children and "after".
func (r *Reddit) listing(ctx context.Context, path string, q url.Values) ([]json.RawMessage, string, error) {
	body, shown, err := r.get(ctx, path, q)
	if err != nil {
		return nil, "", err
	}
	l, err := parseRedditListing(body)
	if err != nil {
		return nil, "", fmt.Errorf("reddit source %q: malformed response from %s: %s", r.name, shown, err)
	}
	return l.Data.Children, l.Data.After, nil
}

func parseRedditListing(body []byte) (redditListingJSON, error) {
	var l redditListingJSON
	if err := json.Unmarshal(body, &l); err != nil {
		return l, describeJSONError(body, err)
	}
	if l.Kind != "Listing" || l.Data == nil {
		return l, fmt.Errorf("expected a Listing, got kind %q", truncateUTF8(cleanText(l.Kind), 40))
	}
	return l, nil
}

// redditGone reports text that was deleted by its author or removed by
// moderators: honouring deletions, Pantau does not keep it.
func redditGone(author, text string) bool {
	return author == "[deleted]" || text == "[deleted]" || text == "[removed]"
}

func (r *Reddit) isBrand(author, distinguished, subreddit string) bool {
	if r.brandUser[strings.ToLower(author)] {
		return true
	}
	return distinguished == "moderator" && r.brandSubs[strings.ToLower(subreddit)]
}

func (r *Reddit) postMention(p redditPost, created time.Time) (store.Mention, bool) {
	text := p.Selftext
	if p.Author == "[deleted]" {
		// Deleted by its author: nothing of it is kept.
		return store.Mention{}, false
	}
	if text == "[deleted]" || text == "[removed]" || p.RemovedByCategory != nil {
		// Removed by moderators: the title is still public, the text
		// is not.
		text = ""
	}
	title := cleanText(p.Title)
	text = cleanText(text)
	byBrand := r.isBrand(p.Author, p.Distinguished, p.Subreddit)
	if !byBrand && (r.keywords.match(title, text) == "" || r.exclude.match(title, text) != "") {
		return store.Mention{}, false
	}
	return store.Mention{
		Kind:      KindReddit,
		Source:    r.name,
		NativeID:  p.Name,
		URL:       redditLink(p.Permalink, "/comments/"+strings.TrimPrefix(p.Name, "t3_")),
		Brand:     r.brand,
		Author:    redditAuthor(p.Author),
		Title:     truncateUTF8(title, maxTitleBytes),
		Text:      truncateUTF8(text, maxTextBytes),
		CreatedAt: created,
		ByBrand:   byBrand,
	}, true
}

// brandReply is a brand comment as a mention answering replyTo (a
// fullname).
func (r *Reddit) brandReply(c redditComment, created time.Time, replyTo string) store.Mention {
	m := store.Mention{
		Kind:      KindReddit,
		Source:    r.name,
		NativeID:  c.Name,
		URL:       redditLink(c.Permalink, ""),
		Brand:     r.brand,
		Author:    redditAuthor(c.Author),
		Text:      truncateUTF8(cleanText(c.Body), maxTextBytes),
		CreatedAt: created,
		ByBrand:   true,
		ReplyTo:   store.MentionKey(KindReddit, replyTo),
	}
	if strings.HasPrefix(c.LinkID, "t3_") {
		m.ThreadRoot = store.MentionKey(KindReddit, c.LinkID)
	}
	return m
}

func redditAuthor(name string) store.Author {
	name = truncateUTF8(cleanText(name), maxAuthorBytes)
	a := store.Author{Handle: name, DisplayName: name}
	if redditUserPattern.MatchString(name) {
		a.ProfileURL = redditWeb + "/user/" + name
	}
	return a
}

// redditLink makes a permalink absolute on www.reddit.com (links are for
// people, whatever host the API was read from). Anything that is not a
// plain site path is replaced by fallback.
func redditLink(permalink, fallback string) string {
	p := permalink
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, " \\\"<>") || strings.ContainsFunc(p, unicode.IsControl) {
		p = fallback
	}
	if p == "" || len(p) > maxURLBytes {
		return ""
	}
	return redditWeb + p
}

func redditSample(key string, at time.Time, score, comments *float64) store.MentionSample {
	return store.MentionSample{Key: key, Sample: store.Sample{At: at, Likes: floatCount(score), Replies: floatCount(comments)}}
}

// Refresh re-reads the given reddit mentions: scores and comment counts
// of posts through /by_id/ (100 a request), and the comment tree of every
// customer post not yet answered, looking for the brand's replies. Brand
// replies come back as ByBrand mentions whose ReplyTo is the nearest
// watched ancestor, usually the customer's post, which the store then
// marks answered. Other people's comments are not stored: they do not
// name the brand (or search would have found their post), and the post's
// comment count already measures them.
//
// The batch holds everything gathered even when err is not nil (a thread
// that could not be read, a rate limit that stopped the round early):
// ingest it either way.
func (r *Reddit) Refresh(ctx context.Context, mentions []store.Mention) (store.Batch, error) {
	now := r.fetch.Now().UTC()
	b := store.Batch{Source: r.name, Kind: KindReddit, At: now}
	targets := map[string]*store.Mention{}
	var posts []string
	threads := map[string]bool{}
	var threadOrder []string
	for i := range mentions {
		m := &mentions[i]
		if m.Kind != KindReddit || !redditFullname.MatchString(m.NativeID) {
			continue
		}
		targets[m.NativeID] = m
		link := m.NativeID
		if !strings.HasPrefix(link, "t3_") {
			link = strings.TrimPrefix(m.ThreadRoot, KindReddit+":")
		} else {
			posts = append(posts, m.NativeID)
		}
		if !strings.HasPrefix(link, "t3_") || !redditFullname.MatchString(link) {
			continue
		}
		if !m.ByBrand && m.AnsweredAt == nil && !threads[link] {
			threads[link] = true
			threadOrder = append(threadOrder, link)
		}
	}
	sampled := map[string]bool{}
	var errs []error
	for chunk := range slices.Chunk(posts, redditByIDChunk) {
		children, _, err := r.listing(ctx, "/by_id/"+strings.Join(chunk, ",")+".json", url.Values{"raw_json": {"1"}})
		if err != nil {
			errs = append(errs, err)
			if stopRefresh(ctx, err) {
				return b, errors.Join(errs...)
			}
			continue
		}
		for _, raw := range children {
			p, ok := decodeRedditThing[redditPost](raw, "t3")
			if !ok || targets[p.Name] == nil || sampled[p.Name] {
				continue
			}
			sampled[p.Name] = true
			b.Samples = append(b.Samples, redditSample(keyOf(*targets[p.Name]), now, p.Score, p.NumComments))
		}
	}
	emitted := map[string]bool{}
	for _, link := range threadOrder {
		if err := r.scanThread(ctx, link, targets, sampled, emitted, now, &b); err != nil {
			errs = append(errs, err)
			if stopRefresh(ctx, err) {
				break
			}
		}
	}
	return b, errors.Join(errs...)
}

// scanThread reads one post's comment tree (a two-element array: the post
// listing, then the comments listing).
func (r *Reddit) scanThread(ctx context.Context, link string, targets map[string]*store.Mention, sampled, emitted map[string]bool, now time.Time, b *store.Batch) error {
	body, shown, err := r.get(ctx, "/comments/"+strings.TrimPrefix(link, "t3_")+".json",
		url.Values{"sort": {"new"}, "limit": {"500"}, "depth": {"10"}, "raw_json": {"1"}})
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusForbidden) {
			return nil // deleted, private or quarantined: nothing to find
		}
		return err
	}
	malformed := func(what string) error {
		return fmt.Errorf("reddit source %q: malformed thread from %s: %s", r.name, shown, what)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(body, &parts); err != nil {
		return malformed(describeJSONError(body, err).Error())
	}
	if len(parts) != 2 {
		return malformed(fmt.Sprintf("expected [post listing, comment listing], got an array of %d", len(parts)))
	}
	postL, err1 := parseRedditListing(parts[0])
	comments, err2 := parseRedditListing(parts[1])
	if err1 != nil || err2 != nil {
		return malformed(errors.Join(err1, err2).Error())
	}
	for _, raw := range postL.Data.Children {
		if p, ok := decodeRedditThing[redditPost](raw, "t3"); ok && p.Name == link && targets[link] != nil && !sampled[link] {
			sampled[link] = true
			b.Samples = append(b.Samples, redditSample(keyOf(*targets[link]), now, p.Score, p.NumComments))
		}
	}

	type frame struct {
		children []json.RawMessage
		anc      []string // fullnames from the post down to the parent
	}
	replies := map[string]int64{}
	scores := map[string]*float64{}
	stack := []frame{{comments.Data.Children, []string{link}}}
	nodes := 0
	for len(stack) > 0 && nodes < redditMaxThreadNodes {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, raw := range f.children {
			nodes++
			c, ok := decodeRedditThing[redditComment](raw, "t1")
			if !ok || !redditFullname.MatchString(c.Name) {
				continue // "more" stubs and malformed comments
			}
			for _, a := range f.anc {
				if targets[a] != nil {
					replies[a]++
				}
			}
			if targets[c.Name] != nil {
				scores[c.Name] = c.Score
			}
			if r.isBrand(c.Author, c.Distinguished, c.Subreddit) && !redditGone(c.Author, c.Body) && !emitted[c.Name] && targets[c.Name] == nil {
				if to := nearestTarget(f.anc, func(id string) bool { m := targets[id]; return m != nil && !m.ByBrand }); to != "" {
					emitted[c.Name] = true
					created := notAfterSkew(unixFloat(c.CreatedUTC), now)
					m := r.brandReply(c, created, to)
					if m.ThreadRoot == "" {
						m.ThreadRoot = store.MentionKey(KindReddit, link)
					}
					b.Mentions = append(b.Mentions, m)
				}
			}
			// "replies" is a Listing, or "" when there are none.
			if rep := bytes.TrimSpace(c.Replies); len(rep) > 0 && rep[0] == '{' {
				if l, err := parseRedditListing(rep); err == nil {
					stack = append(stack, frame{l.Data.Children, append(slices.Clip(f.anc), c.Name)})
				}
			}
		}
	}
	for id, score := range scores {
		n := replies[id]
		b.Samples = append(b.Samples, store.MentionSample{Key: keyOf(*targets[id]), Sample: store.Sample{At: now, Likes: floatCount(score), Replies: &n}})
	}
	return nil
}

// get performs one API GET with Reddit's User-Agent and, with OAuth, a
// bearer token (renewed once on a 401). It honours Reddit's rate-limit
// headers: a 429 or an exhausted budget holds every further request
// until the window resets, failing fast with the wait as RetryAfter.
// shown is the redacted URL for messages.
func (r *Reddit) get(ctx context.Context, path string, q url.Values) (body []byte, shown string, err error) {
	for attempt := 0; ; attempt++ {
		base := r.apiBase
		h := http.Header{"User-Agent": {r.ua}, "Accept": {"application/json"}}
		if r.oauth() {
			tok, err := r.accessToken(ctx)
			if err != nil {
				return nil, "", err
			}
			base = r.oauthBase
			h.Set("Authorization", "bearer "+tok)
		}
		u := base + path
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		shown = redactURL(u)
		now := r.fetch.Now()
		if d := r.hold.wait("api", now); d > 0 {
			return nil, shown, fmt.Errorf("reddit source %q: %w", r.name, heldError(shown, d, "Reddit's rate limit"))
		}
		resp, err := r.fetch.Get(ctx, Request{URL: u, Header: h})
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) {
				if se.Code == http.StatusUnauthorized && r.oauth() && attempt == 0 {
					r.dropToken() // revoked or expired early: renew once
					continue
				}
				if se.Code == http.StatusTooManyRequests {
					if se.RetryAfter == 0 {
						se.RetryAfter = headerSeconds(se.Header.Get("X-Ratelimit-Reset"))
					}
					if se.RetryAfter > 0 {
						r.hold.set("api", now.Add(se.RetryAfter))
					}
				}
			}
			return nil, shown, fmt.Errorf("reddit source %q: %w", r.name, scrubErr(err, r.secrets()...))
		}
		// Spend the last request of the window, then wait for the reset
		// rather than collecting a 429.
		if rem := resp.Header.Get("X-Ratelimit-Remaining"); rem != "" {
			if n, perr := strconv.ParseFloat(rem, 64); perr == nil && n < 1 {
				if d := headerSeconds(resp.Header.Get("X-Ratelimit-Reset")); d > 0 {
					r.hold.set("api", now.Add(d))
				}
			}
		}
		return resp.Body, shown, nil
	}
}

func (r *Reddit) secrets() []string {
	r.tokMu.Lock()
	tok := r.tok
	r.tokMu.Unlock()
	return []string{r.clientSecret.Reveal(), r.password.Reveal(), tok,
		base64.StdEncoding.EncodeToString([]byte(r.clientID + ":" + r.clientSecret.Reveal()))}
}

func (r *Reddit) dropToken() {
	r.tokMu.Lock()
	r.tok, r.tokExp = "", time.Time{}
	r.tokMu.Unlock()
}

// accessToken returns a cached OAuth token, fetching a new one when it is
// missing or about to expire. The lock is held during the request so that
// a poll and a refresh running together ask for one token, not two.
func (r *Reddit) accessToken(ctx context.Context) (string, error) {
	r.tokMu.Lock()
	defer r.tokMu.Unlock()
	now := r.fetch.Now()
	if r.tok != "" && now.Before(r.tokExp) {
		return r.tok, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if r.username != "" {
		form = url.Values{"grant_type": {"password"}, "username": {r.username}, "password": {r.password.Reveal()}}
	}
	h := http.Header{
		"User-Agent":    {r.ua},
		"Accept":        {"application/json"},
		"Content-Type":  {"application/x-www-form-urlencoded"},
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(r.clientID+":"+r.clientSecret.Reveal()))},
	}
	secrets := []string{r.clientSecret.Reveal(), r.password.Reveal()}
	resp, err := r.fetch.Do(ctx, Request{Method: http.MethodPost, URL: r.tokenURL, Body: []byte(form.Encode()), Header: h})
	if err != nil {
		return "", fmt.Errorf("reddit source %q: OAuth token: %w", r.name, scrubErr(err, secrets...))
	}
	var tr struct {
		AccessToken string  `json:"access_token"`
		ExpiresIn   float64 `json:"expires_in"`
		Error       string  `json:"error"`
	}
	if err := json.Unmarshal(resp.Body, &tr); err != nil {
		return "", fmt.Errorf("reddit source %q: OAuth token: malformed response from %s: %s", r.name, redactURL(r.tokenURL), describeJSONError(resp.Body, err))
	}
	if tr.AccessToken == "" {
		// Reddit answers a bad grant with 200 and {"error": "..."}.
		why := scrubSecrets(truncateUTF8(cleanText(tr.Error), 100), &url.URL{}, secrets...)
		if why == "" {
			why = "no access_token in the response"
		}
		return "", fmt.Errorf("reddit source %q: OAuth token refused by %s: %s", r.name, redactURL(r.tokenURL), why)
	}
	ttl := time.Duration(tr.ExpiresIn * float64(time.Second))
	if ttl <= 0 || ttl > 30*24*time.Hour {
		ttl = time.Hour
	}
	if ttl > 2*redditTokenMargin {
		ttl -= redditTokenMargin
	} else {
		ttl /= 2
	}
	r.tok, r.tokExp = tr.AccessToken, now.Add(ttl)
	return r.tok, nil
}

// ---------------------------------------------------------------------
// Shared by the reddit, hackernews, discourse and github collectors: the
// search-API helpers (watermark cursor, rate-limit hold, secret scrubbing,
// config checks). They live here because each platform file has one
// owner; they could move to a file of their own.
// ---------------------------------------------------------------------

const (
	// defaultBackfill is how far back a source's first poll looks: a
	// day shows the dashboard something at once without importing a
	// brand's whole history as "new".
	defaultBackfill = 24 * time.Hour
	maxBackfill     = 30 * 24 * time.Hour
	maxRPM          = 60000
	// maxSeenIDs bounds the cursor: even a busy brand has far fewer
	// items than this inside one overlap window.
	maxSeenIDs = 5000
)

// hwmCursor is the cursor of a search sorted newest first: the newest
// creation time seen (the high-water mark) and the ids seen in the overlap
// window below it. Search indexes lag behind posting, so each poll looks a
// little below the mark and skips the ids it remembers: late-indexed items
// are caught and nothing is returned twice.
type hwmCursor struct {
	Newest time.Time `json:"newest,omitzero"`
	// Seen maps an id to its time in Unix seconds.
	Seen map[string]int64 `json:"seen,omitempty"`
}

// since is the time after which items are wanted: the mark minus the
// overlap, or now minus the backfill on the first poll.
func (c *hwmCursor) since(now time.Time, backfill, overlap time.Duration) time.Time {
	if c.Newest.IsZero() {
		return now.Add(-backfill)
	}
	return c.Newest.Add(-overlap)
}

// fresh reports whether an item is new: after since and not seen.
func (c *hwmCursor) fresh(id string, at, since time.Time) bool {
	if !at.After(since) {
		return false
	}
	_, seen := c.Seen[id]
	return !seen
}

// saw records an item and raises the mark.
func (c *hwmCursor) saw(id string, at time.Time) {
	if c.Seen == nil {
		c.Seen = map[string]int64{}
	}
	c.Seen[id] = at.Unix()
	if at.After(c.Newest) {
		c.Newest = at.UTC()
	}
}

// prune forgets ids that fell out of the overlap window, and the oldest
// ones beyond maxSeenIDs.
func (c *hwmCursor) prune(overlap time.Duration) {
	cut := c.Newest.Add(-overlap).Unix()
	for id, t := range c.Seen {
		if t < cut {
			delete(c.Seen, id)
		}
	}
	if len(c.Seen) <= maxSeenIDs {
		return
	}
	ids := sortedKeys(c.Seen)
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(c.Seen[b], c.Seen[a]) })
	for _, id := range ids[maxSeenIDs:] {
		delete(c.Seen, id)
	}
}

// parseJSONCursor decodes a cursor. One that does not decode (an older
// version, damage) costs a backfill, not a failing source, so it is
// treated as empty.
func parseJSONCursor[T any](s string) T {
	var c T
	if s != "" && json.Unmarshal([]byte(s), &c) != nil {
		var zero T
		return zero
	}
	return c
}

// keyOf is a mention's store key, also for mentions not yet ingested.
func keyOf(m store.Mention) string {
	if m.Key != "" {
		return m.Key
	}
	return store.MentionKey(m.Kind, m.NativeID)
}

// holdOff remembers until when a platform asked to be left alone (a 429,
// an exhausted rate-limit budget) per bucket, so the next poll or refresh
// fails fast with the remaining wait instead of spending a request the
// platform would refuse.
type holdOff struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (h *holdOff) set(bucket string, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.until == nil {
		h.until = map[string]time.Time{}
	}
	if until.After(h.until[bucket]) {
		h.until[bucket] = until
	}
}

// wait is how long requests in bucket must still wait at now. It is
// clamped like Retry-After: a hostile reset far in the future must not
// silence a source for months.
func (h *holdOff) wait(bucket string, now time.Time) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.until[bucket].Sub(now)
	return min(max(d, 0), maxRetryAfter)
}

// heldError is the error for a request not sent because the platform's
// rate limit is exhausted. It is a *StatusError 429 with RetryAfter, so
// the scheduler backs off exactly as if the platform had said it.
func heldError(shown string, d time.Duration, why string) *StatusError {
	return &StatusError{
		Code:       http.StatusTooManyRequests,
		RetryAfter: d.Round(time.Second),
		URL:        shown,
		Method:     http.MethodGet,
		Body:       "not sent: " + why + " is exhausted; requests resume after the reset",
	}
}

// headerSeconds reads a header holding seconds (Reddit's
// X-Ratelimit-Reset, possibly fractional), clamped like Retry-After.
func headerSeconds(v string) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	if f > maxRetryAfter.Seconds() {
		return maxRetryAfter
	}
	return time.Duration(math.Ceil(f)) * time.Second
}

// scrubErr removes secrets the Fetcher cannot know about (an Api-Key
// header, a password in a form body, a cached token) from err. A
// *StatusError inside keeps its type, for the scheduler's errors.As.
func scrubErr(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var live []string
	for _, s := range secrets {
		if len(s) >= 4 {
			live = append(live, s)
		}
	}
	slices.SortFunc(live, func(a, b string) int { return len(b) - len(a) })
	scrub := func(s string) string {
		for _, sec := range live {
			s = strings.ReplaceAll(s, sec, redacted)
		}
		return s
	}
	var se *StatusError
	if errors.As(err, &se) {
		se.Body, se.URL = scrub(se.Body), scrub(se.URL)
	}
	msg := err.Error()
	if scrub(msg) == msg {
		return err
	}
	// The message had to be rewritten: keep a cause errors.As/Is can
	// still find (never a nil *StatusError inside an interface, which
	// errors.As would hand out).
	var cause error
	switch {
	case se != nil:
		cause = se
	case errors.Is(err, ErrTooLarge):
		cause = ErrTooLarge
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		cause = context.Canceled
	}
	return &redactedError{msg: scrub(msg), cause: cause}
}

// stopRefresh reports errors after which a refresh round should stop
// rather than try the next thread: the platform said to slow down, or the
// round ran out of time.
func stopRefresh(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	var se *StatusError
	return errors.As(err, &se) && (se.Code == http.StatusTooManyRequests || se.RetryAfter > 0 || se.Code == http.StatusUnauthorized)
}

// nearestTarget returns the deepest of the ancestors (root first) that
// ok accepts, or "".
func nearestTarget(anc []string, ok func(string) bool) string {
	for i := len(anc) - 1; i >= 0; i-- {
		if ok(anc[i]) {
			return anc[i]
		}
	}
	return ""
}

// searchTerms returns the source's keywords (the brand's terms unless the
// source sets its own) and whether they are ["*"].
func searchTerms(cfg SourceConfig, brand Brand) (terms []string, all bool) {
	src := cfg.Keywords
	if len(src) == 0 {
		src = brand.Terms
	}
	for _, t := range src {
		t = strings.TrimSpace(t)
		switch t {
		case "":
		case matchAll:
			all = true
		default:
			terms = append(terms, t)
		}
	}
	return terms, all
}

// accountSet lower-cases the brand's handles on one platform after norm.
func accountSet(handles []string, norm func(string) string) map[string]bool {
	out := map[string]bool{}
	for _, h := range handles {
		if h = strings.ToLower(norm(strings.TrimSpace(h))); h != "" {
			out[h] = true
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// apiBaseURL checks a configured API base and returns it without the
// trailing slash.
func apiBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("url %s is not an http or https base URL without credentials or query", redactURL(raw))
	}
	u.Fragment, u.RawFragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

func hostsOf(urls ...string) []string {
	var out []string
	for _, s := range urls {
		if u, err := url.Parse(s); err == nil && u.Host != "" && !slices.Contains(out, strings.ToLower(u.Host)) {
			out = append(out, strings.ToLower(u.Host))
		}
	}
	return out
}

func perMinute(n int) rate.Limit { return rate.Limit(float64(n) / 60) }

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func unixFloat(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// notAfterSkew replaces a time too far in the future with now: a wrong or
// hostile date must not push the high-water mark past every real post.
func notAfterSkew(t, now time.Time) time.Time {
	// A date before 2000 (or one that cannot be written as RFC 3339) is
	// a bad payload, not a post: now is the honest guess.
	if t.After(now.Add(maxFutureSkew)) || t.Year() < 2000 {
		return now
	}
	return t.UTC()
}

// floatCount turns a JSON count into a sample value; absent, negative or
// absurd counts are unknown.
func floatCount(f *float64) *int64 {
	if f == nil || *f < 0 || *f > 1e15 || math.IsNaN(*f) {
		return nil
	}
	n := int64(*f)
	return &n
}

// describeJSONError says what is wrong with a body that should be JSON,
// briefly and without echoing much of it.
func describeJSONError(body []byte, err error) error {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return errors.New("empty response body")
	case trimmed[0] == '<':
		return errors.New("HTML instead of JSON (a login page, an error page or a proxy?)")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("unexpected JSON: %s is a %s, not a %s", truncateUTF8(te.Field, 60), te.Value, te.Type)
	}
	return errors.New(truncateUTF8(cleanText(err.Error()), maxParseErrorBytes))
}

func checkMaxPages(path string, n, limit int) []error {
	if n < 0 || n > limit {
		return []error{fieldErr(path, "must be between 1 and %d (0 means the default), got %d", limit, n)}
	}
	return nil
}

func checkBackfill(path string, d time.Duration) []error {
	if d < 0 || (d > 0 && d < time.Minute) || d > maxBackfill {
		return []error{fieldErr(path, "must be between 1m and %s (write it like 24h), got %s", maxBackfill, d)}
	}
	return nil
}

func checkRPM(path string, n int) []error {
	if n < 0 || n > maxRPM {
		return []error{fieldErr(path, "must be between 1 and %d (0 means the platform's documented limit), got %d", maxRPM, n)}
	}
	return nil
}
