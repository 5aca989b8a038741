package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindMastodon is the source kind for Mastodon: hashtag timelines per
// instance; with a user token also full-text search and streaming.
const KindMastodon = "mastodon"

const (
	// mastoPageLimit is the API's maximum page size.
	mastoPageLimit = 40
	// mastoMaxPages bounds the pages one poll follows per timeline. A
	// backlog longer than that is not lost: the cursor stops at the last
	// page read and the next poll goes on from there.
	mastoMaxPages = 10
	// mastoMaxStatusBytes refuses one status bigger than this. Real
	// statuses are a few KiB (500 characters of HTML plus the account);
	// a huge one is an attack on the parser or the store.
	mastoMaxStatusBytes = 256 << 10
	// mastoBatchIDs is how many ids one GET /api/v1/statuses?id[]= asks
	// for: the server caps it (20 in 4.3), more would be refused.
	mastoBatchIDs = 20
	// mastoIDCacheSize bounds the memory of instance-local ids seen
	// (id -> uri), which makes in_reply_to_id resolvable.
	mastoIDCacheSize = 20000
	// mastoMaxHashtagLen mirrors Mastodon's own limit on tag names.
	mastoMaxHashtagLen = 100
	// mastoStreamReadTimeout: the streaming server pings every few
	// seconds to half a minute; a minute and a half without any frame
	// means the connection is dead.
	mastoStreamReadTimeout = 90 * time.Second
	mastoStreamPing        = 30 * time.Second
	// mastoMaxFrameBytes caps one streaming frame (a status plus the
	// double encoding).
	mastoMaxFrameBytes = 1 << 20
)

// mastoRate is the documented 300 requests per 5 minutes per IP and
// account: one a second, with a small burst for a poll's first requests.
var mastoRate = rate.Limit(1)

const mastoBurst = 5

// MastodonConfig is the "mastodon:" section of a mastodon source.
//
//	mastodon:
//	  home: https://mastodon.social          # where the brand's account lives
//	  hashtags: [kilatexpress, kilatcare]    # polled on every instance
//	  instances:
//	    - url: https://mastodon.social
//	    - url: https://mastodon.id
//	      hashtags: [kilatexpress]           # replaces the list above here
//	  token_file: /run/secrets/mastodon      # user token on home: search + streaming
//	  search: ["kilat express"]              # full-text queries (token); default: brand terms
//	  stream: true                           # default true when a token is set
type MastodonConfig struct {
	// Instances are the servers whose hashtag timelines are polled.
	// Empty means the home instance alone.
	Instances []MastodonInstance `yaml:"instances"`
	// Hashtags (with or without '#') are polled on every instance that
	// lists none of its own. Empty means hashtags made from the brand's
	// terms ("kilat express" -> kilatexpress).
	Hashtags []string `yaml:"hashtags"`
	// Home is the base URL of the instance that hosts the brand's own
	// account. Thread context is read there, since the brand's replies
	// always exist on it. Empty means the first instance.
	Home string `yaml:"home"`
	// Token, or the file TokenFile names, is a user access token on Home
	// with read:statuses and read:search. It enables full-text search,
	// resolving any status on Home, and streaming. The source-level
	// token is used when this one is not set.
	Token     secret.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`
	// Search are full-text queries run on Home with the token. Empty
	// means the brand's terms.
	Search []string `yaml:"search"`
	// Stream follows the hashtags live on Home; it needs the token and
	// defaults to true when there is one.
	Stream *bool `yaml:"stream"`
}

// MastodonInstance is one polled server.
type MastodonInstance struct {
	URL      string   `yaml:"url"`
	Hashtags []string `yaml:"hashtags"`
}

func (c *MastodonConfig) validate(path string) []error {
	if c == nil {
		return []error{fieldErr(path, "required: at least home or instances (the Mastodon servers to poll)")}
	}
	var errs []error
	if len(c.Instances) == 0 && strings.TrimSpace(c.Home) == "" {
		errs = append(errs, fieldErr(path+".instances", "required: at least one instance (or set home)"))
	}
	seen := map[string]int{}
	for i, in := range c.Instances {
		p := fmt.Sprintf("%s.instances[%d]", path, i)
		u, msg := mastoBaseURL(in.URL)
		if msg != "" {
			errs = append(errs, fieldErr(p+".url", "%s", msg))
		} else if j, dup := seen[u.String()]; dup {
			errs = append(errs, fieldErr(p+".url", "duplicate instance %s (also instances[%d])", u, j))
		} else {
			seen[u.String()] = i
		}
		errs = append(errs, checkMastoHashtags(p+".hashtags", in.Hashtags)...)
	}
	errs = append(errs, checkMastoHashtags(path+".hashtags", c.Hashtags)...)
	if strings.TrimSpace(c.Home) != "" {
		if _, msg := mastoBaseURL(c.Home); msg != "" {
			errs = append(errs, fieldErr(path+".home", "%s", msg))
		}
	}
	if _, err := secret.Resolve(c.Token, c.TokenFile); err != nil {
		errs = append(errs, fieldErr(path+".token_file", "%v", err))
	}
	errs = append(errs, checkTerms(path+".search", c.Search, false)...)
	// "stream: true" without a token is refused by NewMastodon: the
	// source-level token counts too, and only it sees both.
	return errs
}

// mastoBaseURL parses an instance's base URL: http or https, a host, no
// query, credentials or fragment (an instance is a server, not a page).
func mastoBaseURL(raw string) (*url.URL, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, "required"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Sprintf("must be an absolute http or https URL like https://mastodon.social (got %s)", redactURL(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Sprintf("must be the instance's base URL, without credentials, query or fragment (got %s)", redactURL(raw))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.Host = strings.ToLower(u.Host)
	return u, ""
}

// checkMastoHashtags validates a hashtag list: Mastodon tags are letters,
// digits, marks and underscores.
func checkMastoHashtags(path string, tags []string) []error {
	var errs []error
	for i, t := range tags {
		p := fmt.Sprintf("%s[%d]", path, i)
		name := strings.TrimPrefix(strings.TrimSpace(t), "#")
		switch {
		case name == "":
			errs = append(errs, fieldErr(p, "must not be empty"))
		case utf8.RuneCountInString(name) > mastoMaxHashtagLen:
			errs = append(errs, fieldErr(p, "longer than %d characters", mastoMaxHashtagLen))
		case strings.ContainsFunc(name, func(r rune) bool { return !isWordRune(r) }):
			errs = append(errs, fieldErr(p, "%q is not a hashtag (letters, digits and '_' only, no spaces)", truncateUTF8(t, 80)))
		}
	}
	return errs
}

// Mastodon collects one brand's mentions from Mastodon instances.
//
// Without a token it polls public hashtag timelines on each instance and
// the brand's own public timeline on its home instance. With a user token
// on the home instance it also runs full-text searches, resolves any
// status there (for thread context) and follows the hashtags live.
type Mastodon struct {
	name   string
	brand  string
	fetch  *Fetcher
	token  secret.Secret
	insts  []*mastoInstance
	home   *mastoInstance
	search []string
	stream bool

	keywords *keywordMatcher
	exclude  *keywordMatcher
	tagSet   map[string]bool // every configured tag, lower-cased
	// brandAccts are the brand's accounts as "user@host", lower-cased.
	brandAccts []string

	log *slog.Logger

	mu sync.Mutex
	// durable is the newest cursor known to be stored: the merge of the
	// cursors handed to Poll and Stream and of what Stream's emits
	// acknowledged. Poll and Stream both start from it, so neither can
	// write an older cursor over the other's progress.
	durable mastoCursor
	// local maps "base|id" (an instance-local status id) to the status
	// uri; homeID maps a uri to its id on the home instance.
	local  *socialFIFO[string, string]
	homeID *socialFIFO[string, string]
	// streamed are the uris Stream emitted (and the store took): a
	// backfill after a reconnect, or a search finding what the stream
	// already delivered, does not emit them again.
	streamed *socialFIFO[string, struct{}]
	// problems are the items skipped by the latest polls, for tests and
	// the log.
	problems skipLog
}

type mastoInstance struct {
	base *url.URL
	host string
	tags []string
}

var (
	_ Collector = (*Mastodon)(nil)
	_ Streamer  = (*Mastodon)(nil)
	_ Refresher = (*Mastodon)(nil)
	_ Coverage  = (*Mastodon)(nil)
)

// NewMastodon builds the collector for a "mastodon" source. cfg should have
// passed Validate.
func NewMastodon(cfg SourceConfig, brand Brand, f *Fetcher) (*Mastodon, error) {
	if f == nil {
		return nil, errors.New("mastodon: nil Fetcher")
	}
	mc := cfg.Mastodon
	if mc == nil {
		return nil, fmt.Errorf("mastodon source %q: missing the mastodon section", cfg.Name)
	}
	fail := func(format string, args ...any) (*Mastodon, error) {
		return nil, fmt.Errorf("mastodon source %q: "+format, append([]any{cfg.Name}, args...)...)
	}
	tok, err := secret.Resolve(mc.Token, mc.TokenFile)
	if err != nil {
		return fail("token: %v", err)
	}
	if !tok.IsSet() {
		if tok, err = cfg.token(); err != nil {
			return fail("token: %v", err)
		}
	}
	defaultTags := mastoHashtags(mc.Hashtags)
	if len(defaultTags) == 0 {
		defaultTags = mastoHashtagsFromTerms(brand.Terms)
	}
	m := &Mastodon{
		name:     cfg.Name,
		brand:    brand.Name,
		fetch:    f,
		token:    tok,
		keywords: newKeywordMatcher(socialFirstList(cfg.Keywords, brand.Terms)),
		exclude:  newKeywordMatcher(append(slices.Clone(cfg.Exclude), brand.Exclude...)),
		tagSet:   map[string]bool{},
		log:      slog.New(slog.DiscardHandler),
		local:    newSocialFIFO[string, string](mastoIDCacheSize),
		homeID:   newSocialFIFO[string, string](mastoIDCacheSize),
		streamed: newSocialFIFO[string, struct{}](4096),
	}
	for _, in := range mc.Instances {
		u, msg := mastoBaseURL(in.URL)
		if msg != "" {
			return fail("instance %s", msg)
		}
		tags := mastoHashtags(in.Hashtags)
		if len(tags) == 0 {
			tags = defaultTags
		}
		m.insts = append(m.insts, &mastoInstance{base: u, host: u.Hostname(), tags: tags})
	}
	if strings.TrimSpace(mc.Home) != "" {
		u, msg := mastoBaseURL(mc.Home)
		if msg != "" {
			return fail("home %s", msg)
		}
		for _, in := range m.insts {
			if in.base.String() == u.String() {
				m.home = in
			}
		}
		if m.home == nil {
			// Home is used for context, search and the stream; it is
			// only polled when it is also listed as an instance.
			m.home = &mastoInstance{base: u, host: u.Hostname(), tags: defaultTags}
			if len(m.insts) == 0 {
				m.insts = []*mastoInstance{m.home}
			}
		}
	} else if len(m.insts) > 0 {
		m.home = m.insts[0]
	} else {
		return fail("no instances and no home")
	}
	for _, in := range m.insts {
		if len(in.tags) == 0 {
			return fail("no hashtags for %s: set hashtags, or give the brand a term that can be a hashtag", in.base)
		}
		for _, t := range in.tags {
			m.tagSet[t] = true
		}
	}
	for _, t := range m.home.tags {
		m.tagSet[t] = true
	}
	if m.token.IsSet() {
		m.search = socialFirstList(mc.Search, brand.Terms)
		m.stream = mc.Stream == nil || *mc.Stream
		// The stream's backfill is a poll of home's hashtags: home must
		// be polled too, or what was said there while disconnected is
		// lost.
		if m.stream && !slices.Contains(m.insts, m.home) {
			m.insts = append(m.insts, m.home)
		}
	} else if mc.Stream != nil && *mc.Stream {
		return fail("stream: true needs a user token (token or token_file)")
	}
	for _, a := range brand.Accounts[KindMastodon] {
		if acct := mastoNormalizeAccount(a, m.home.host); acct != "" {
			m.brandAccts = append(m.brandAccts, acct)
		}
	}
	if f.rate != rate.Inf {
		for _, in := range append([]*mastoInstance{m.home}, m.insts...) {
			f.LimitHost(in.base.Host, mastoRate, mastoBurst)
		}
	}
	return m, nil
}

// SetLogger sets where skipped items (malformed statuses, failing
// instances) are reported; the default discards.
func (m *Mastodon) SetLogger(l *slog.Logger) {
	if l != nil {
		m.log = l
	}
}

func (m *Mastodon) Name() string { return m.name }
func (m *Mastodon) Kind() string { return KindMastodon }

// CanStream reports whether Stream has anything to follow: streaming needs
// a user token (Mastodon 4.2 removed anonymous streaming).
func (m *Mastodon) CanStream() bool { return m.stream }

// Coverage says what the source sees, in plain words.
func (m *Mastodon) Coverage() string {
	var b strings.Builder
	var parts []string
	for _, in := range m.insts {
		tags := make([]string, len(in.tags))
		for i, t := range in.tags {
			tags[i] = "#" + t
		}
		parts = append(parts, in.host+": "+strings.Join(tags, " "))
	}
	fmt.Fprintf(&b, "Mastodon hashtag timelines of %s.", strings.Join(parts, "; "))
	if m.token.IsSet() {
		fmt.Fprintf(&b, " Full-text search on %s for %s (only accounts that opted into search are found).", m.home.host, socialQuoted(m.search))
		if m.stream {
			fmt.Fprintf(&b, " Live stream of the hashtags on %s.", m.home.host)
		}
		fmt.Fprintf(&b, " Brand replies are found in the thread of every post, read on %s.", m.home.host)
	} else {
		fmt.Fprintf(&b, " Brand replies are found through the brand's own public timeline on %s and the threads of posts from that server.", m.home.host)
		b.WriteString(" Without a user token Pantau sees hashtags only, not full-text mentions, and no live stream.")
	}
	return b.String()
}

func socialQuoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func socialFirstList(lists ...[]string) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

// mastoHashtags lower-cases tags and drops '#' and duplicates.
func mastoHashtags(tags []string) []string {
	var out []string
	for _, t := range tags {
		t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#"))
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// mastoHashtagsFromTerms turns brand terms into the hashtags people would use:
// "#acme" -> acme, "Kilat Express" -> kilatexpress. Terms that cannot be a
// tag (punctuation other than spaces, dots and dashes) are skipped.
func mastoHashtagsFromTerms(terms []string) []string {
	var out []string
	for _, t := range terms {
		t = strings.TrimPrefix(strings.TrimSpace(t), "#")
		t = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || r == '-' || r == '.' {
				return -1
			}
			return unicode.ToLower(r)
		}, t)
		if t == "" || t == matchAll || strings.ContainsFunc(t, func(r rune) bool { return !isWordRune(r) }) {
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// mastoNormalizeAccount turns the ways people write a Mastodon account
// ("@kilatcare@mastodon.social", "kilatcare@mastodon.social",
// "https://mastodon.social/@kilatcare", ".../users/kilatcare", or a bare
// "kilatcare" on the home instance) into "user@host", lower-cased.
func mastoNormalizeAccount(s, homeHost string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return ""
		}
		p := strings.Trim(u.Path, "/")
		var user string
		switch {
		case strings.HasPrefix(p, "@"):
			user = strings.TrimPrefix(p, "@")
		case strings.HasPrefix(p, "users/"):
			user = strings.TrimPrefix(p, "users/")
		default:
			return ""
		}
		if i := strings.IndexByte(user, '/'); i >= 0 {
			user = user[:i]
		}
		if user == "" {
			return ""
		}
		// A profile URL of a remote account seen on another server
		// ("https://a.example/@bob@b.example") carries its own host.
		if strings.Contains(user, "@") {
			return strings.ToLower(user)
		}
		return strings.ToLower(user + "@" + u.Hostname())
	}
	s = strings.TrimPrefix(s, "@")
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "@") {
		s += "@" + homeHost
	}
	return strings.ToLower(s)
}

// mastoCursor is the source's cursor, stored as JSON. Every id is the
// newest one seen on that timeline (Mastodon's forward min_id).
type mastoCursor struct {
	// Tags maps "base#tag" to the newest id of that hashtag timeline.
	Tags map[string]string `json:"tags,omitempty"`
	// Search maps a query to the newest status id it found on home.
	Search map[string]string `json:"search,omitempty"`
	// Brand maps a brand account ("user@host") to the newest id of its
	// own timeline on home; BrandIDs caches its account id there.
	Brand    map[string]string `json:"brand,omitempty"`
	BrandIDs map[string]string `json:"brand_ids,omitempty"`
}

// parseMastoCursor reads a cursor. A damaged one only costs a fresh start
// from the newest page of each timeline, so it reads as empty.
func parseMastoCursor(s string) mastoCursor {
	var c mastoCursor
	if s != "" && json.Unmarshal([]byte(s), &c) != nil {
		c = mastoCursor{}
	}
	return c
}

func (c mastoCursor) clone() mastoCursor {
	return mastoCursor{Tags: mastoCloneMap(c.Tags), Search: mastoCloneMap(c.Search), Brand: mastoCloneMap(c.Brand), BrandIDs: mastoCloneMap(c.BrandIDs)}
}

func mastoCloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// merge raises every position of c to o's where o's is newer.
func (c *mastoCursor) merge(o mastoCursor) {
	up := func(dst *map[string]string, src map[string]string) {
		if *dst == nil {
			*dst = map[string]string{}
		}
		for k, v := range src {
			if mastoIDLess((*dst)[k], v) {
				(*dst)[k] = v
			}
		}
	}
	up(&c.Tags, o.Tags)
	up(&c.Search, o.Search)
	up(&c.Brand, o.Brand)
	if c.BrandIDs == nil {
		c.BrandIDs = map[string]string{}
	}
	for k, v := range o.BrandIDs {
		c.BrandIDs[k] = v
	}
}

func (c mastoCursor) encode() string {
	b, _ := json.Marshal(c) // maps of strings always encode
	return string(b)
}

// mastoIDLess orders status ids. They are strings "cast from an integer but
// not guaranteed to be a number": numeric ids compare as numbers (a longer
// one is bigger), anything else as strings. The empty id is the oldest.
func mastoIDLess(a, b string) bool {
	if a == b {
		return false
	}
	if a == "" || b == "" {
		return a == ""
	}
	if mastoNumericID(a) && mastoNumericID(b) {
		if len(a) != len(b) {
			return len(a) < len(b)
		}
	}
	return a < b
}

func mastoNumericID(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// startCursor merges the stored cursor into what is known to be durable and
// returns a copy to work on.
func (m *Mastodon) startCursor(stored string) mastoCursor {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.durable.merge(parseMastoCursor(stored))
	return m.durable.clone()
}

func (m *Mastodon) acknowledge(c mastoCursor) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.durable.merge(c)
}

func (m *Mastodon) problem(err error) { m.problems.add(m.log, KindMastodon, m.name, err) }

// takeProblems returns and clears the recorded problems.
func (m *Mastodon) takeProblems() []error { return m.problems.take() }

// mastoStatus is the part of Mastodon's Status entity Pantau reads.
type mastoStatus struct {
	ID              string        `json:"id"`
	URI             string        `json:"uri"`
	URL             *string       `json:"url"`
	CreatedAt       string        `json:"created_at"`
	InReplyToID     *string       `json:"in_reply_to_id"`
	Visibility      string        `json:"visibility"`
	Language        *string       `json:"language"`
	Content         string        `json:"content"`
	SpoilerText     string        `json:"spoiler_text"`
	RepliesCount    *int64        `json:"replies_count"`
	ReblogsCount    *int64        `json:"reblogs_count"`
	FavouritesCount *int64        `json:"favourites_count"`
	QuotesCount     *int64        `json:"quotes_count"`
	Reblog          *mastoStatus  `json:"reblog"`
	Account         mastoAccount  `json:"account"`
	Tags            []mastoTagRef `json:"tags"`
}

type mastoAccount struct {
	ID             string `json:"id"`
	Username       string `json:"username"`
	Acct           string `json:"acct"`
	DisplayName    string `json:"display_name"`
	URL            string `json:"url"`
	FollowersCount *int64 `json:"followers_count"`
}

type mastoTagRef struct {
	Name string `json:"name"`
}

// decodeMastoStatus decodes one status from a timeline, refusing what is
// too big or not a status, with an error that says which and why.
func decodeMastoStatus(raw json.RawMessage, where string, i int) (*mastoStatus, error) {
	if len(raw) > mastoMaxStatusBytes {
		return nil, fmt.Errorf("%s: status %d: %d bytes, over the %s limit: skipped", where, i, len(raw), formatBytes(mastoMaxStatusBytes))
	}
	var st mastoStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("%s: status %d: not a Mastodon status: %s", where, i, truncateUTF8(cleanText(err.Error()), 200))
	}
	if st.ID == "" {
		return nil, fmt.Errorf("%s: status %d: no id", where, i)
	}
	inner := &st
	if st.Reblog != nil {
		inner = st.Reblog
	}
	if !socialIsWebURL(inner.URI) {
		return nil, fmt.Errorf("%s: status %d (id %s): uri %q is not an http(s) URL", where, i, truncateUTF8(st.ID, 40), truncateUTF8(cleanText(inner.URI), 100))
	}
	return &st, nil
}

func socialIsWebURL(s string) bool {
	if s == "" || len(s) > maxURLBytes {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// mastoGather collects the statuses of one poll, keyed by uri, so a status
// seen on several instances (or in a timeline and a search) is kept once.
type mastoGather struct {
	mentions []store.Mention
	samples  []store.MentionSample
	byURI    map[string]int
}

func newMastoGather() *mastoGather { return &mastoGather{byURI: map[string]int{}} }

func (g *mastoGather) add(mn store.Mention, s store.MentionSample) {
	if i, ok := g.byURI[mn.NativeID]; ok {
		// The same status from another instance: keep the first, but a
		// reply link resolved here is still worth having.
		if g.mentions[i].ReplyTo == "" && mn.ReplyTo != "" {
			g.mentions[i].ReplyTo = mn.ReplyTo
		}
		return
	}
	g.byURI[mn.NativeID] = len(g.mentions)
	g.mentions = append(g.mentions, mn)
	g.samples = append(g.samples, s)
}

// origin says where a status was found, which decides whether it is kept.
type mastoOrigin int

const (
	fromHashtag mastoOrigin = iota // a hashtag timeline or stream: about the brand by construction
	fromSearch                     // a full-text search: matched by the server, checked here
	fromBrand                      // the brand's own timeline or a thread: kept if by the brand
)

// remember records the status's instance-local id, so replies to it can be
// linked, and its id on home, so its thread can be read.
func (m *Mastodon) remember(in *mastoInstance, st *mastoStatus) {
	for _, s := range []*mastoStatus{st, st.Reblog} {
		if s == nil || s.ID == "" || !socialIsWebURL(s.URI) {
			continue
		}
		m.local.put(in.base.String()+"|"+s.ID, s.URI)
		if in.base.String() == m.home.base.String() {
			m.homeID.put(s.URI, s.ID)
		}
	}
}

// mention turns a status found on instance in into a mention and its
// engagement sample. keep is false when the status is not for Pantau.
func (m *Mastodon) mention(in *mastoInstance, st *mastoStatus, origin mastoOrigin, now time.Time) (mn store.Mention, sample store.MentionSample, keep bool) {
	s := st
	if st.Reblog != nil {
		// A boost is someone passing the original along: the original
		// is the mention.
		s = st.Reblog
	}
	switch s.Visibility {
	case "private", "direct":
		// Followers-only and direct messages can reach a token's
		// search (its own mentions); they are not public talk.
		return mn, sample, false
	}
	text := htmlToText(s.Content)
	if cw := cleanText(s.SpoilerText); cw != "" {
		text = "[CW: " + cw + "] " + text
	}
	acct := strings.TrimPrefix(strings.TrimSpace(s.Account.Acct), "@")
	if acct != "" && !strings.Contains(acct, "@") {
		// Local accounts come without their server; qualify them so
		// the handle means the same whichever instance showed it.
		acct += "@" + in.host
	}
	created := parseMastoTime(s.CreatedAt, now)
	byBrand := m.isBrand(acct, s.Account.URL)
	mn = store.Mention{
		Kind:     KindMastodon,
		Source:   m.name,
		NativeID: normalizeNativeID(s.URI),
		URL:      socialWebURL(socialDeref(s.URL), s.URI),
		Brand:    m.brand,
		Author: store.Author{
			Handle:      truncateUTF8(cleanText(acct), maxAuthorBytes),
			DisplayName: truncateUTF8(cleanText(s.Account.DisplayName), maxAuthorBytes),
			ProfileURL:  socialWebURL(s.Account.URL, ""),
			Followers:   socialCount(s.Account.FollowersCount),
		},
		Text:      truncateUTF8(text, maxTextBytes),
		Lang:      primaryLang(socialDeref(s.Language)),
		CreatedAt: created,
		ByBrand:   byBrand,
	}
	// in_reply_to_id is an id on the instance that showed the status, so
	// it can only be linked when that instance showed Pantau the parent
	// too (in this poll, an earlier one since the start, or its thread).
	if p := socialDeref(s.InReplyToID); p != "" {
		if uri, ok := m.local.get(in.base.String() + "|" + p); ok {
			mn.ReplyTo = store.MentionKey(KindMastodon, normalizeNativeID(uri))
		}
	}
	sample = store.MentionSample{Key: store.MentionKey(KindMastodon, mn.NativeID), Sample: store.Sample{
		At:        now,
		Likes:     socialCount(s.FavouritesCount),
		Reposts:   socialCount(s.ReblogsCount),
		Replies:   socialCount(s.RepliesCount),
		Quotes:    socialCount(s.QuotesCount),
		Followers: socialCount(s.Account.FollowersCount),
	}}
	if byBrand {
		return mn, sample, true
	}
	if m.exclude.match(text) != "" {
		return mn, sample, false
	}
	switch origin {
	case fromHashtag:
		return mn, sample, true
	case fromSearch:
		if m.keywords.match(text) != "" {
			return mn, sample, true
		}
		for _, t := range s.Tags {
			if m.tagSet[strings.ToLower(t.Name)] {
				return mn, sample, true
			}
		}
	}
	return mn, sample, false
}

func (m *Mastodon) isBrand(acct, profileURL string) bool {
	if len(m.brandAccts) == 0 {
		return false
	}
	a := strings.ToLower(acct)
	u := mastoNormalizeAccount(profileURL, m.home.host)
	for _, b := range m.brandAccts {
		if b == a || (u != "" && b == u) {
			return true
		}
	}
	return false
}

func socialDeref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func socialCount(p *int64) *int64 {
	if p == nil || *p < 0 {
		return nil
	}
	v := *p
	return &v
}

// socialWebURL returns s when it is an http(s) URL fit to link to (a
// "javascript:" URL is an attack on whoever clicks it), else fallback if
// that is, else "".
func socialWebURL(s, fallback string) string {
	for _, c := range []string{strings.TrimSpace(s), strings.TrimSpace(fallback)} {
		if socialIsWebURL(c) {
			return c
		}
	}
	return ""
}

// parseMastoTime reads created_at; a missing, broken or future date (more
// than maxFutureSkew ahead) is replaced by now, so it cannot pin the
// mention to the top of the queue or break SLA clocks.
func parseMastoTime(s string, now time.Time) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.After(now.Add(maxFutureSkew)) || t.Year() < 2000 {
		return now
	}
	return t.UTC()
}

// request does one GET on an instance, with the token when auth is true
// (only ever on home: a token belongs to one server).
func (m *Mastodon) request(ctx context.Context, u *url.URL, auth bool) (*Response, error) {
	h := http.Header{"Accept": {"application/json"}}
	if auth && m.token.IsSet() {
		h.Set("Authorization", "Bearer "+m.token.Reveal())
	}
	resp, err := m.fetch.Get(ctx, Request{URL: u.String(), Header: h})
	if err != nil {
		return nil, mastoRateLimit(err, m.fetch.Now())
	}
	return resp, nil
}

// mastoRateLimit fills a 429's RetryAfter from X-RateLimit-Reset (an ISO
// 8601 timestamp on Mastodon) when the server sent no Retry-After, so the
// scheduler's errors.As finds when to come back.
func mastoRateLimit(err error, now time.Time) error {
	var se *StatusError
	if !errors.As(err, &se) || se.RetryAfter > 0 || (se.Code != http.StatusTooManyRequests && se.Code != http.StatusServiceUnavailable) {
		return err
	}
	if t, perr := time.Parse(time.RFC3339Nano, strings.TrimSpace(se.Header.Get("X-RateLimit-Reset"))); perr == nil {
		se.RetryAfter = min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return err
}

func (in *mastoInstance) endpoint(path string, q url.Values) *url.URL {
	u := *in.base
	u.Path = in.base.Path + path
	u.RawPath = ""
	u.RawQuery = q.Encode()
	return &u
}

// mastoLinkRel returns the URL of the given rel in an RFC 8288 Link header, or
// "".
func mastoLinkRel(header, rel string) string {
	for _, part := range strings.Split(header, ",") {
		segs := strings.Split(part, ";")
		target := strings.TrimSpace(segs[0])
		if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for _, p := range segs[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "rel") && slices.Contains(strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)), rel) {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}

// timeline pages forward through one timeline on an instance from the
// min_id since, following the Link header's rel="prev" (Mastodon's "newer"
// page) and handing every decoded status to each. It returns the newest id
// read. A first read (since empty) takes only the newest page: Pantau
// starts from now, not from the instance's history.
func (m *Mastodon) timeline(ctx context.Context, in *mastoInstance, path string, q url.Values, since string, auth bool, list func([]byte) ([]json.RawMessage, error), each func(*mastoStatus)) (string, error) {
	q.Set("limit", strconv.Itoa(mastoPageLimit))
	if since != "" {
		q.Set("min_id", since)
	}
	next := in.endpoint(path, q)
	newest := since
	where := in.host + " " + path
	for page := 0; page < mastoMaxPages && next != nil; page++ {
		resp, err := m.request(ctx, next, auth)
		if err != nil {
			return newest, err
		}
		raws, err := list(resp.Body)
		if err != nil {
			return newest, fmt.Errorf("%s: %w", where, err)
		}
		pageNewest := ""
		for i, raw := range raws {
			st, err := decodeMastoStatus(raw, where, i)
			if err != nil {
				m.problem(err)
				continue
			}
			if mastoIDLess(pageNewest, st.ID) {
				pageNewest = st.ID
			}
			m.remember(in, st)
			each(st)
		}
		if mastoIDLess(newest, pageNewest) {
			newest = pageNewest
		}
		if since == "" || len(raws) < mastoPageLimit || pageNewest == "" {
			break
		}
		this := next
		next = nil
		if l := mastoLinkRel(resp.Header.Get("Link"), "prev"); l != "" {
			// Follow the server's link only to the same server: a
			// hostile Link must not send the token elsewhere.
			if u, err := this.Parse(l); err == nil && u.Scheme == in.base.Scheme && strings.EqualFold(u.Host, in.base.Host) {
				next = u
			}
		}
		if next == nil {
			q.Set("min_id", pageNewest)
			next = in.endpoint(path, q)
		}
	}
	return newest, nil
}

// mastoArray splits a JSON array into its elements without decoding them,
// so one bad element does not lose the others.
func mastoArray(body []byte) ([]json.RawMessage, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, fmt.Errorf("expected a JSON array of statuses: %s", truncateUTF8(cleanText(err.Error()), 200))
	}
	return raws, nil
}

// mastoSearchStatuses reads the statuses of a v2 search result.
func mastoSearchStatuses(body []byte) ([]json.RawMessage, error) {
	var r struct {
		Statuses []json.RawMessage `json:"statuses"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("expected a search result: %s", truncateUTF8(cleanText(err.Error()), 200))
	}
	return r.Statuses, nil
}

// Poll reads what is new on every hashtag timeline (and, with a token, in
// every search) since the cursor, plus the brand's own new posts on home.
// One failing instance does not stop the others: its position stays and it
// is tried again next time. A rate limit anywhere fails the poll with the
// server's Retry-After; nothing is lost, since no position moved.
func (m *Mastodon) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	now := m.fetch.Now().UTC()
	cur := m.startCursor(cursor)
	g := newMastoGather()
	var failures []error
	ok := 0
	step := func(err error) error {
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusTooManyRequests {
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		if err != nil {
			m.problem(err)
			failures = append(failures, err)
		} else {
			ok++
		}
		return nil
	}

	for _, in := range m.insts {
		for _, tag := range in.tags {
			key := in.base.String() + "#" + tag
			newest, err := m.timeline(ctx, in, "/api/v1/timelines/tag/"+url.PathEscape(tag), url.Values{}, cur.Tags[key], in == m.home, mastoArray, func(st *mastoStatus) {
				if mn, s, keep := m.mention(in, st, fromHashtag, now); keep {
					g.add(mn, s)
				}
			})
			if err == nil {
				if mastoIDLess(cur.Tags[key], newest) {
					cur.Tags[key] = newest
				}
			}
			if err := step(err); err != nil {
				return store.Batch{}, fmt.Errorf("mastodon source %q: %w", m.name, err)
			}
		}
	}
	if m.token.IsSet() {
		for _, q := range m.search {
			newest, err := m.timeline(ctx, m.home, "/api/v2/search", url.Values{"q": {q}, "type": {"statuses"}}, cur.Search[q], true, mastoSearchStatuses, func(st *mastoStatus) {
				if mn, s, keep := m.mention(m.home, st, fromSearch, now); keep {
					g.add(mn, s)
				}
			})
			if err == nil && mastoIDLess(cur.Search[q], newest) {
				cur.Search[q] = newest
			}
			if err := step(err); err != nil {
				return store.Batch{}, fmt.Errorf("mastodon source %q: %w", m.name, err)
			}
		}
	}
	if err := step(m.pollBrand(ctx, &cur, g, now)); err != nil {
		return store.Batch{}, fmt.Errorf("mastodon source %q: %w", m.name, err)
	}
	if ok == 0 && len(failures) > 0 {
		return store.Batch{}, fmt.Errorf("mastodon source %q: %w", m.name, errors.Join(failures...))
	}
	c := cur.encode()
	return store.Batch{
		Source: m.name, Kind: KindMastodon, At: now,
		Mentions: g.mentions, Samples: g.samples, Cursor: &c, Coverage: m.Coverage(),
	}, nil
}

// pollBrand reads the brand accounts' own new posts on home. Their
// in_reply_to_id is an id on home, which home resolves to the parent's uri
// without a token: that is how a brand reply is linked to the customer's
// post even when Pantau cannot read threads.
func (m *Mastodon) pollBrand(ctx context.Context, cur *mastoCursor, g *mastoGather, now time.Time) error {
	suffix := "@" + m.home.host
	var errs []error
	for _, acct := range m.brandAccts {
		if !strings.HasSuffix(acct, suffix) {
			continue // only home has its posts with home ids
		}
		id := cur.BrandIDs[acct]
		if id == "" {
			resp, err := m.request(ctx, m.home.endpoint("/api/v1/accounts/lookup", url.Values{"acct": {strings.TrimSuffix(acct, suffix)}}), true)
			if err != nil {
				errs = append(errs, fmt.Errorf("look up brand account %s: %w", acct, err))
				continue
			}
			var a mastoAccount
			if err := json.Unmarshal(resp.Body, &a); err != nil || a.ID == "" {
				errs = append(errs, fmt.Errorf("look up brand account %s on %s: not an account", acct, m.home.host))
				continue
			}
			id = a.ID
			cur.BrandIDs[acct] = id
		}
		var replies []*mastoStatus
		var kept []store.Mention
		var samples []store.MentionSample
		newest, err := m.timeline(ctx, m.home, "/api/v1/accounts/"+url.PathEscape(id)+"/statuses", url.Values{"exclude_reblogs": {"true"}}, cur.Brand[acct], true, mastoArray, func(st *mastoStatus) {
			mn, s, keep := m.mention(m.home, st, fromBrand, now)
			if !keep || !mn.ByBrand {
				return
			}
			if mn.ReplyTo == "" && socialDeref(st.InReplyToID) != "" {
				replies = append(replies, st)
			}
			kept = append(kept, mn)
			samples = append(samples, s)
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(replies) > 0 {
			ids := make([]string, 0, len(replies))
			for _, r := range replies {
				ids = append(ids, socialDeref(r.InReplyToID))
			}
			if err := m.resolveHome(ctx, ids); err != nil {
				// Without the parents the replies cannot be linked;
				// leave the position so they are read again.
				errs = append(errs, err)
				continue
			}
			for i := range kept {
				if kept[i].ReplyTo != "" {
					continue
				}
				for _, r := range replies {
					if normalizeNativeID(r.URI) == kept[i].NativeID {
						if uri, ok := m.local.get(m.home.base.String() + "|" + socialDeref(r.InReplyToID)); ok {
							kept[i].ReplyTo = store.MentionKey(KindMastodon, normalizeNativeID(uri))
						}
					}
				}
			}
		}
		for i := range kept {
			g.add(kept[i], samples[i])
		}
		if mastoIDLess(cur.Brand[acct], newest) {
			cur.Brand[acct] = newest
		}
	}
	return errors.Join(errs...)
}

// resolveHome fetches statuses by their home ids (GET /api/v1/statuses?id[]=,
// Mastodon 4.3+, public for public statuses), remembering each one's uri.
// Ids already known are skipped. Older servers answer the batch call with
// 404, and then each id is read on its own.
func (m *Mastodon) resolveHome(ctx context.Context, ids []string) error {
	var want []string
	for _, id := range ids {
		if _, ok := m.local.get(m.home.base.String() + "|" + id); !ok && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	_, err := m.statusesByID(ctx, want)
	return err
}

// statusesByID reads statuses on home by their ids, in batches, falling
// back to one request each on servers without the batch endpoint. Missing
// (deleted) statuses are left out.
func (m *Mastodon) statusesByID(ctx context.Context, ids []string) ([]*mastoStatus, error) {
	var out []*mastoStatus
	for start := 0; start < len(ids); start += mastoBatchIDs {
		chunk := ids[start:min(start+mastoBatchIDs, len(ids))]
		q := url.Values{"id[]": chunk}
		resp, err := m.request(ctx, m.home.endpoint("/api/v1/statuses", q), true)
		var se *StatusError
		if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusMethodNotAllowed) {
			for _, id := range chunk {
				r, err := m.request(ctx, m.home.endpoint("/api/v1/statuses/"+url.PathEscape(id), nil), true)
				if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
					continue // deleted
				}
				if err != nil {
					return out, err
				}
				st, err := decodeMastoStatus(r.Body, m.home.host+" /api/v1/statuses/:id", 0)
				if err != nil {
					m.problem(err)
					continue
				}
				m.remember(m.home, st)
				out = append(out, st)
			}
			continue
		}
		if err != nil {
			return out, err
		}
		raws, err := mastoArray(resp.Body)
		if err != nil {
			return out, fmt.Errorf("%s /api/v1/statuses: %w", m.home.host, err)
		}
		for i, raw := range raws {
			st, err := decodeMastoStatus(raw, m.home.host+" /api/v1/statuses", i)
			if err != nil {
				m.problem(err)
				continue
			}
			m.remember(m.home, st)
			out = append(out, st)
		}
	}
	return out, nil
}

// homeStatusID finds a status's id on home, which thread context and the
// engagement refresh need:
//   - a status home showed Pantau (polled there, or resolved before) is in
//     the memory of ids;
//   - a status that lives on home has its id in its uri
//     (https://home/users/NAME/statuses/ID);
//   - with a token, home resolves any uri through /api/v2/search?resolve=true.
//
// Without a token a status from another server that home has not shown
// Pantau since the start cannot be found there: "" is returned.
func (m *Mastodon) homeStatusID(ctx context.Context, uri string) (string, error) {
	if id, ok := m.homeID.get(uri); ok {
		return id, nil
	}
	if u, err := url.Parse(uri); err == nil && strings.EqualFold(u.Host, m.home.base.Host) {
		segs := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(segs) == 4 && segs[0] == "users" && segs[2] == "statuses" && segs[3] != "" {
			return segs[3], nil
		}
	}
	if !m.token.IsSet() {
		return "", nil
	}
	resp, err := m.request(ctx, m.home.endpoint("/api/v2/search", url.Values{"q": {uri}, "type": {"statuses"}, "resolve": {"true"}, "limit": {"1"}}), true)
	if err != nil {
		return "", err
	}
	raws, err := mastoSearchStatuses(resp.Body)
	if err != nil {
		return "", fmt.Errorf("%s resolve status: %w", m.home.host, err)
	}
	for i, raw := range raws {
		st, err := decodeMastoStatus(raw, m.home.host+" /api/v2/search", i)
		if err != nil {
			m.problem(err)
			continue
		}
		m.remember(m.home, st)
		if st.URI == uri {
			return st.ID, nil
		}
	}
	return "", nil
}

// mastoContext is GET /api/v1/statuses/:id/context.
type mastoContext struct {
	Ancestors   []json.RawMessage `json:"ancestors"`
	Descendants []json.RawMessage `json:"descendants"`
}

// Refresh re-reads mentions on home: fresh engagement counts for each, and
// its thread, from which the brand's replies become ByBrand mentions with
// ReplyTo set (so the store marks the customer answered), and the
// customer's own follow-ups ("min?? still no answer") become mentions too.
//
// A reply is linked to its direct parent when that parent is one of the
// refreshed mentions, else to the refreshed mention whose thread it is in:
// a brand reply anywhere under a customer's post answers that post.
//
// When it fails part way (a rate limit), the batch holds what was read
// before, alongside the error.
func (m *Mastodon) Refresh(ctx context.Context, mentions []store.Mention) (store.Batch, error) {
	now := m.fetch.Now().UTC()
	b := store.Batch{Source: m.name, Kind: KindMastodon, At: now}
	type target struct {
		mn     store.Mention
		homeID string
	}
	var targets []target
	known := map[string]bool{}
	for _, mn := range mentions {
		if mn.Kind != "" && mn.Kind != KindMastodon {
			continue
		}
		known[store.MentionKey(KindMastodon, mn.NativeID)] = true
	}
	for _, mn := range mentions {
		if mn.Kind != "" && mn.Kind != KindMastodon {
			continue
		}
		id, err := m.homeStatusID(ctx, mn.NativeID)
		if err != nil {
			return b, fmt.Errorf("mastodon source %q: refresh: %w", m.name, err)
		}
		if id == "" {
			continue
		}
		targets = append(targets, target{mn, id})
	}
	if len(targets) == 0 {
		return b, nil
	}

	ids := make([]string, len(targets))
	for i, t := range targets {
		ids[i] = t.homeID
	}
	statuses, err := m.statusesByID(ctx, ids)
	for _, st := range statuses {
		if _, s, _ := m.mention(m.home, st, fromBrand, now); s.Key != "" {
			b.Samples = append(b.Samples, s)
		}
	}
	if err != nil {
		return b, fmt.Errorf("mastodon source %q: refresh: %w", m.name, err)
	}

	g := newMastoGather()
	for _, t := range targets {
		if t.mn.ByBrand {
			continue // the brand's own posts need no answer
		}
		resp, err := m.request(ctx, m.home.endpoint("/api/v1/statuses/"+url.PathEscape(t.homeID)+"/context", nil), true)
		var se *StatusError
		if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
			continue // deleted since
		}
		if err != nil {
			b.Mentions = g.mentions
			return b, fmt.Errorf("mastodon source %q: refresh: %w", m.name, err)
		}
		m.threadReplies(t.mn, resp.Body, known, g, now)
	}
	b.Mentions = g.mentions
	return b, nil
}

// threadReplies reads one context response and adds the brand's replies and
// the author's follow-ups under mn to g.
func (m *Mastodon) threadReplies(mn store.Mention, body []byte, known map[string]bool, g *mastoGather, now time.Time) {
	where := m.home.host + " /api/v1/statuses/:id/context"
	var c mastoContext
	if err := json.Unmarshal(body, &c); err != nil {
		m.problem(fmt.Errorf("%s: not a thread context: %s", where, truncateUTF8(cleanText(err.Error()), 200)))
		return
	}
	mnKey := store.MentionKey(KindMastodon, mn.NativeID)
	root := mnKey
	var desc []*mastoStatus
	// Remember every id of the thread first: replies then resolve to any
	// status in it, whatever the order.
	for i, raw := range c.Ancestors {
		st, err := decodeMastoStatus(raw, where+" ancestors", i)
		if err != nil {
			m.problem(err)
			continue
		}
		m.remember(m.home, st)
		if i == 0 {
			root = store.MentionKey(KindMastodon, normalizeNativeID(st.URI))
		}
	}
	for i, raw := range c.Descendants {
		st, err := decodeMastoStatus(raw, where+" descendants", i)
		if err != nil {
			m.problem(err)
			continue
		}
		m.remember(m.home, st)
		desc = append(desc, st)
	}
	for _, st := range desc {
		r, s, _ := m.mention(m.home, st, fromBrand, now)
		follow := !r.ByBrand && r.Author.Handle != "" && strings.EqualFold(r.Author.Handle, mn.Author.Handle)
		if !r.ByBrand && !follow {
			continue
		}
		// A brand reply must point at something the store has, to mark
		// it answered: its parent if that is a refreshed mention, else
		// the mention whose thread this is. A follow-up keeps its
		// parent when it resolved.
		if (r.ByBrand && !known[r.ReplyTo]) || r.ReplyTo == "" {
			r.ReplyTo = mnKey
		}
		r.ThreadRoot = root
		g.add(r, s)
	}
}

// Stream follows the hashtags live on home over the streaming websocket
// (a user token is required since Mastodon 4.2). It subscribes first, then
// backfills by REST from the cursor, then hands on live statuses: nothing
// between the stored cursor and the live stream is missed, and statuses
// seen twice (in the backfill and the stream) are emitted once. It returns
// when the connection fails; reconnecting is the scheduler's job.
func (m *Mastodon) Stream(ctx context.Context, cursor string, emit func(store.Batch) error) error {
	if !m.stream {
		// Nothing to follow without a token: idle until shutdown rather
		// than fail, so the source does not show a stream error forever.
		// Polls do the work.
		<-ctx.Done()
		return ctx.Err()
	}
	wsURL := *m.home.base
	switch wsURL.Scheme {
	case "https":
		wsURL.Scheme = "wss"
	default:
		wsURL.Scheme = "ws"
	}
	wsURL.Path = m.home.base.Path + "/api/v1/streaming"
	h := http.Header{"Authorization": {"Bearer " + m.token.Reveal()}}
	conn, err := dialWS(ctx, m.fetch, wsURL.String(), h, mastoMaxFrameBytes)
	if err != nil {
		return fmt.Errorf("mastodon source %q: streaming: %w", m.name, mastoRateLimit(err, m.fetch.Now()))
	}
	defer conn.Close()
	for _, tag := range m.home.tags {
		sub, _ := json.Marshal(map[string]string{"type": "subscribe", "stream": "hashtag", "tag": tag})
		if err := conn.writeText(sub); err != nil {
			return fmt.Errorf("mastodon source %q: streaming: subscribe #%s: %w", m.name, tag, err)
		}
	}
	frames := conn.readLoop(ctx, mastoStreamReadTimeout, mastoStreamPing, 256)

	// Backfill after subscribing: what arrives meanwhile waits in frames.
	b, err := m.Poll(ctx, cursor)
	if err != nil {
		return err
	}
	fresh := b.Mentions[:0:0]
	for _, mn := range b.Mentions {
		if _, dup := m.streamed.get(mn.NativeID); !dup {
			fresh = append(fresh, mn)
		}
	}
	b.Mentions = fresh // samples stay: fresh counts are always welcome
	if err := emit(b); err != nil {
		return fmt.Errorf("mastodon source %q: emit: %w", m.name, err)
	}
	cur := parseMastoCursor(*b.Cursor)
	m.acknowledge(cur)
	for _, mn := range b.Mentions {
		m.streamed.put(mn.NativeID, struct{}{})
	}

	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case f, ok := <-frames:
			if !ok {
				return fmt.Errorf("mastodon source %q: streaming: %w", m.name, conn.err())
			}
			mn, s, tag, id, ok := m.streamFrame(f)
			if !ok {
				continue
			}
			key := m.home.base.String() + "#" + tag
			if m.tagSet[tag] && mastoIDLess(cur.Tags[key], id) {
				cur.Tags[key] = id
			}
			var batch store.Batch
			batch.Source, batch.Kind, batch.At = m.name, KindMastodon, m.fetch.Now().UTC()
			if mn != nil {
				if _, dup := m.streamed.get(mn.NativeID); !dup {
					batch.Mentions = []store.Mention{*mn}
				}
				batch.Samples = []store.MentionSample{s}
			}
			c := cur.encode()
			batch.Cursor = &c
			if err := emit(batch); err != nil {
				return fmt.Errorf("mastodon source %q: emit: %w", m.name, err)
			}
			m.acknowledge(cur)
			if mn != nil {
				m.streamed.put(mn.NativeID, struct{}{})
			}
		}
	}
}

// mastoFrame is one streaming message. Its payload is itself JSON encoded
// as a string: a Status for update, a bare id for delete.
type mastoFrame struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
}

// streamFrame decodes one frame (twice: the frame, then its payload). For
// an update it returns the mention (nil when not kept), the hashtag and
// the status id; ok is false for anything else (deletes, edits, errors).
func (m *Mastodon) streamFrame(f []byte) (mn *store.Mention, s store.MentionSample, tag, id string, ok bool) {
	var fr mastoFrame
	if err := json.Unmarshal(f, &fr); err != nil {
		m.problem(fmt.Errorf("%s streaming: not a streaming frame: %s", m.home.host, truncateUTF8(cleanText(err.Error()), 200)))
		return nil, s, "", "", false
	}
	switch fr.Event {
	case "update":
	case "delete":
		// Pantau keeps what it stored (the store has no deletion yet);
		// the deleted status is simply not refreshed any more.
		return nil, s, "", "", false
	default:
		return nil, s, "", "", false
	}
	if len(fr.Stream) >= 2 && strings.HasPrefix(fr.Stream[0], "hashtag") {
		tag = strings.ToLower(fr.Stream[1])
	}
	st, err := decodeMastoStatus(json.RawMessage(fr.Payload), m.home.host+" streaming update", 0)
	if err != nil {
		m.problem(err)
		return nil, s, "", "", false
	}
	m.remember(m.home, st)
	now := m.fetch.Now().UTC()
	origin := fromHashtag
	if !m.tagSet[tag] {
		origin = fromSearch
	}
	r, s, keep := m.mention(m.home, st, origin, now)
	if !keep {
		return nil, s, tag, st.ID, true
	}
	return &r, s, tag, st.ID, true
}
