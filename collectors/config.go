package collectors

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"

	"github.com/pantau/pantau/store/secret"
)

const (
	// DefaultSchedule is how often a source is polled when its config
	// does not say.
	DefaultSchedule = "@every 5m"
	// DefaultTimeout bounds one poll (rate-limit wait, fetch, parse).
	DefaultTimeout = time.Minute
	maxTimeout     = 10 * time.Minute
	maxTermLen     = 200
)

// kinds lists the source kinds Build knows, for error messages.
func kinds() []string {
	return []string{KindRSS, KindMastodon, KindBluesky, KindReddit, KindHackerNews, KindDiscourse,
		KindGitHub, KindAppStore, KindGooglePlay, KindYouTube, KindWebhook}
}

// Brand is one watched brand: its search terms, exclusions and its own
// accounts per platform.
type Brand struct {
	Name string `yaml:"name"`
	// Terms are the words that make an item a mention: names, products,
	// hashtags, common misspellings. Matching ignores case and respects
	// word boundaries.
	Terms []string `yaml:"terms"`
	// Exclude drops items that contain any of these ("acme anvil
	// cartoon").
	Exclude []string `yaml:"exclude"`
	// Accounts are the brand's own handles per source kind, so its
	// replies can be told from customers' posts.
	Accounts map[string][]string `yaml:"accounts"`
}

// SourceConfig configures one source.
type SourceConfig struct {
	// Name identifies the source in the store, logs and dashboard.
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	URL  string `yaml:"url"`
	// Brand names the brand the source watches; it may be left out when
	// exactly one brand is configured.
	Brand string `yaml:"brand"`
	// Schedule is a cron spec ("*/10 * * * *") or a descriptor
	// ("@every 15m", "@hourly"), in UTC; empty means DefaultSchedule.
	Schedule string `yaml:"schedule"`
	// Timeout bounds one poll; zero means DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
	// Keywords replace the brand's terms for this source; ["*"] keeps
	// every item.
	Keywords []string `yaml:"keywords"`
	// Exclude adds to the brand's exclusions.
	Exclude []string `yaml:"exclude"`
	// Token, or the file named by TokenFile, is sent as "Authorization:
	// Bearer" for private feeds. Use ${ENV_VAR} or the file: never write a
	// token into the config itself.
	Token     secret.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`
	// Enabled defaults to true.
	Enabled *bool `yaml:"enabled"`

	// Each platform's own settings, in a section named after its kind.
	Mastodon   *MastodonConfig   `yaml:"mastodon"`
	Bluesky    *BlueskyConfig    `yaml:"bluesky"`
	Reddit     *RedditConfig     `yaml:"reddit"`
	HackerNews *HackerNewsConfig `yaml:"hackernews"`
	Discourse  *DiscourseConfig  `yaml:"discourse"`
	GitHub     *GitHubConfig     `yaml:"github"`
	AppStore   *AppStoreConfig   `yaml:"appstore"`
	GooglePlay *GooglePlayConfig `yaml:"googleplay"`
	YouTube    *YouTubeConfig    `yaml:"youtube"`
	Webhook    *WebhookConfig    `yaml:"webhook"`
}

// token resolves the source's bearer token from Token or TokenFile.
func (c SourceConfig) token() (secret.Secret, error) { return secret.Resolve(c.Token, c.TokenFile) }

// IsEnabled reports whether the source should run.
func (c SourceConfig) IsEnabled() bool { return c.Enabled == nil || *c.Enabled }

// EffectiveSchedule is the schedule with the default applied.
func (c SourceConfig) EffectiveSchedule() string {
	if strings.TrimSpace(c.Schedule) == "" {
		return DefaultSchedule
	}
	return c.Schedule
}

// EffectiveTimeout is the poll timeout with the default applied.
func (c SourceConfig) EffectiveTimeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// LogValue keeps secrets in the URL out of logs.
func (c SourceConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", c.Name),
		slog.String("kind", c.Kind),
		slog.String("url", redactURL(c.URL)),
		slog.String("brand", c.Brand),
		slog.String("schedule", c.EffectiveSchedule()),
	)
}

// FieldError is one configuration problem. Path is the YAML path of the
// field ("sources[2].url"), which the config loader maps to a file line.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

func fieldErr(path, format string, args ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

var (
	sourceNamePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	accountKindPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

// Validate checks one source. path is its YAML path ("sources[2]"); every
// message starts with the path of the offending field. brands are the
// configured brands, to check the reference.
func (c SourceConfig) Validate(path string, brands []Brand) error {
	return errors.Join(c.validate(path, brands)...)
}

func (c SourceConfig) validate(path string, brands []Brand) []error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(path+"."+field, format, args...))
	}

	switch {
	case c.Name == "":
		add("name", "required")
	case !sourceNamePattern.MatchString(c.Name):
		add("name", "%q must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", truncateUTF8(c.Name, 80))
	}

	if _, err := c.token(); err != nil {
		add("token_file", "%v", err)
	}

	switch {
	case c.Kind == "":
		add("kind", "required (one of: %s)", strings.Join(kinds(), ", "))
	case !slices.Contains(kinds(), c.Kind):
		add("kind", "unknown kind %q (allowed: %s)", truncateUTF8(c.Kind, 40), strings.Join(kinds(), ", "))
	}

	// Feeds and forums are their URL; for the other kinds a url only
	// overrides the platform's API base.
	if c.Kind == KindRSS || c.Kind == KindDiscourse || c.URL != "" {
		u, err := url.Parse(c.URL)
		switch {
		case c.URL == "":
			add("url", "required")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			// Print the URL redacted: it may hold a token.
			add("url", "must be an absolute http or https URL (got %s)", redactURL(c.URL))
		}
	}

	errs = append(errs, c.validatePlatform(path)...)
	if err := c.googlePlayOptIn(path); err != nil {
		errs = append(errs, err)
	}

	brand, berr := c.resolveBrand(brands)
	if berr != "" {
		add("brand", "%s", berr)
	}

	if c.Schedule != "" {
		if msg := checkSchedule(c.Schedule); msg != "" {
			add("schedule", "%s", msg)
		}
	}
	if c.Timeout < 0 || (c.Timeout > 0 && (c.Timeout < time.Second || c.Timeout > maxTimeout)) {
		add("timeout", "must be between 1s and %s (write it like 30s or 2m), got %s", maxTimeout, c.Timeout)
	}

	errs = append(errs, checkTerms(path+".keywords", c.Keywords, true)...)
	errs = append(errs, checkTerms(path+".exclude", c.Exclude, false)...)
	if len(c.Keywords) == 0 && brand != nil && len(brand.Terms) == 0 {
		add("keywords", "required because brand %q has no terms (use [\"*\"] to keep every item)", brand.Name)
	}
	return errs
}

// validatePlatform checks the section of the source's own kind, and that no
// other kind's section is set (a section under the wrong kind is a typo).
func (c SourceConfig) validatePlatform(path string) []error {
	type section struct {
		kind string
		set  bool
		v    func(string) []error
	}
	sections := []section{
		{KindMastodon, c.Mastodon != nil, c.Mastodon.validate},
		{KindBluesky, c.Bluesky != nil, c.Bluesky.validate},
		{KindReddit, c.Reddit != nil, c.Reddit.validate},
		{KindHackerNews, c.HackerNews != nil, c.HackerNews.validate},
		{KindDiscourse, c.Discourse != nil, c.Discourse.validate},
		{KindGitHub, c.GitHub != nil, c.GitHub.validate},
		{KindAppStore, c.AppStore != nil, c.AppStore.validate},
		{KindGooglePlay, c.GooglePlay != nil, c.GooglePlay.validate},
		{KindYouTube, c.YouTube != nil, c.YouTube.validate},
		{KindWebhook, c.Webhook != nil, c.Webhook.validate},
	}
	var errs []error
	for _, s := range sections {
		switch {
		case s.set && s.kind != c.Kind:
			errs = append(errs, fieldErr(path+"."+s.kind, "a %s section on a source of kind %q", s.kind, c.Kind))
		case s.kind == c.Kind:
			// A nil section validates as all defaults; each kind's
			// validate says what is required.
			errs = append(errs, s.v(path+"."+s.kind)...)
		}
	}
	return errs
}

// resolveBrand finds the brand the source names, or the only brand when
// it names none. The string is a problem to report.
func (c SourceConfig) resolveBrand(brands []Brand) (*Brand, string) {
	if c.Brand == "" {
		switch len(brands) {
		case 0:
			return nil, "no brands are configured"
		case 1:
			return &brands[0], ""
		default:
			return nil, fmt.Sprintf("required when more than one brand is configured (brands: %s)", brandNames(brands))
		}
	}
	for i := range brands {
		if brands[i].Name == c.Brand {
			return &brands[i], ""
		}
	}
	return nil, fmt.Sprintf("unknown brand %q (brands: %s)", truncateUTF8(c.Brand, 80), brandNames(brands))
}

func brandNames(brands []Brand) string {
	names := make([]string, 0, len(brands))
	for _, b := range brands {
		names = append(names, fmt.Sprintf("%q", b.Name))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// checkSchedule parses spec the way the Scheduler will. (Cron itself
// rounds "@every" up to a second; real sources want minutes, and the
// per-host rate limiter and Retry-After keep an eager schedule polite,
// while the demo polls its loopback fakes every couple of seconds.)
func checkSchedule(spec string) string {
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Sprintf("invalid schedule %q: %v (use a cron spec like \"*/10 * * * *\" or \"@every 10m\")", truncateUTF8(spec, 80), err)
	}
	return ""
}

// checkTerms validates a keyword or exclusion list. "*" (keep everything)
// is only meaningful alone, and only as a keyword.
func checkTerms(path string, terms []string, allowAll bool) []error {
	var errs []error
	for i, t := range terms {
		p := fmt.Sprintf("%s[%d]", path, i)
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			errs = append(errs, fieldErr(p, "must not be empty"))
		case utf8.RuneCountInString(t) > maxTermLen:
			errs = append(errs, fieldErr(p, "longer than %d characters", maxTermLen))
		case t == matchAll && !allowAll:
			errs = append(errs, fieldErr(p, "\"*\" is only allowed in keywords"))
		case t == matchAll && len(terms) > 1:
			errs = append(errs, fieldErr(p, "\"*\" keeps every item and cannot be combined with other keywords"))
		}
	}
	return errs
}

// Validate checks one brand; path is its YAML path ("brands[0]").
func (b Brand) Validate(path string) error {
	return errors.Join(b.validate(path)...)
}

func (b Brand) validate(path string) []error {
	var errs []error
	switch name := strings.TrimSpace(b.Name); {
	case name == "":
		errs = append(errs, fieldErr(path+".name", "required"))
	case name != b.Name || utf8.RuneCountInString(name) > 64 || strings.ContainsFunc(name, isHiddenRune):
		errs = append(errs, fieldErr(path+".name", "must be 1 to 64 printable characters without surrounding spaces"))
	}
	errs = append(errs, checkTerms(path+".terms", b.Terms, false)...)
	errs = append(errs, checkTerms(path+".exclude", b.Exclude, false)...)
	kindsSorted := make([]string, 0, len(b.Accounts))
	for k := range b.Accounts {
		kindsSorted = append(kindsSorted, k)
	}
	slices.Sort(kindsSorted) // stable error order
	for _, k := range kindsSorted {
		p := path + ".accounts." + k
		if !accountKindPattern.MatchString(k) {
			errs = append(errs, fieldErr(p, "%q is not a source kind", truncateUTF8(k, 40)))
			continue
		}
		for i, h := range b.Accounts[k] {
			if strings.TrimSpace(h) == "" {
				errs = append(errs, fieldErr(fmt.Sprintf("%s[%d]", p, i), "must not be empty"))
			}
		}
	}
	return errs
}

// ValidateBrands checks the brands list, assumed to live at the top-level
// key "brands".
func ValidateBrands(brands []Brand) error {
	return errors.Join(validateBrands(brands)...)
}

func validateBrands(brands []Brand) []error {
	var errs []error
	seen := map[string]int{}
	for i, b := range brands {
		path := fmt.Sprintf("brands[%d]", i)
		errs = append(errs, b.validate(path)...)
		if j, dup := seen[b.Name]; dup && b.Name != "" {
			errs = append(errs, fieldErr(path+".name", "duplicate brand %q (also brands[%d])", b.Name, j))
			continue
		}
		seen[b.Name] = i
	}
	return errs
}

// Build validates the brands and sources (assumed to live at the top-level
// keys "brands" and "sources") and builds a collector for every enabled
// source. It reports every problem at once, joined; on any problem it
// returns no collectors, so a bad reload keeps the running config.
func Build(sources []SourceConfig, brands []Brand, f *Fetcher) ([]Collector, error) {
	errs := validateBrands(brands)
	if f == nil {
		errs = append(errs, errors.New("collectors: Build needs a Fetcher"))
	}
	seen := map[string]int{}
	var out []Collector
	for i, sc := range sources {
		path := fmt.Sprintf("sources[%d]", i)
		bad := sc.validate(path, brands)
		if j, dup := seen[sc.Name]; dup && sc.Name != "" {
			bad = append(bad, fieldErr(path+".name", "duplicate source name %q (also sources[%d])", sc.Name, j))
		} else {
			seen[sc.Name] = i
		}
		if len(bad) > 0 || f == nil {
			errs = append(errs, bad...)
			continue
		}
		if !sc.IsEnabled() {
			continue
		}
		brand, _ := sc.resolveBrand(brands)
		var (
			c   Collector
			err error
		)
		switch sc.Kind {
		case KindRSS:
			c, err = NewRSS(sc, *brand, f)
		case KindMastodon:
			c, err = NewMastodon(sc, *brand, f)
		case KindBluesky:
			c, err = NewBluesky(sc, *brand, f)
		case KindReddit:
			c, err = NewReddit(sc, *brand, f)
		case KindHackerNews:
			c, err = NewHackerNews(sc, *brand, f)
		case KindDiscourse:
			c, err = NewDiscourse(sc, *brand, f)
		case KindGitHub:
			c, err = NewGitHub(sc, *brand, f)
		case KindAppStore:
			c, err = NewAppStore(sc, *brand, f)
		case KindGooglePlay:
			c, err = NewGooglePlay(sc, *brand, f)
		case KindYouTube:
			c, err = NewYouTube(sc, *brand, f)
		case KindWebhook:
			c, err = NewWebhook(sc, *brand, f)
		default:
			// Validate already refused it; kept so a new kind cannot be
			// added to kinds() and forgotten here.
			err = fieldErr(path+".kind", "unknown kind %q (allowed: %s)", sc.Kind, strings.Join(kinds(), ", "))
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
