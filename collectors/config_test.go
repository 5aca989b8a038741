package collectors

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestSourceConfigValidate(t *testing.T) {
	brands := []Brand{acme, {Name: "other", Terms: []string{"other"}}}
	noTerms := []Brand{{Name: "quiet"}}
	valid := func() SourceConfig {
		return SourceConfig{Name: "acme-news", Kind: "rss", URL: "https://news.example.com/feed.xml", Brand: "acme"}
	}
	off := false
	tests := map[string]struct {
		mutate func(c *SourceConfig)
		brands []Brand
		want   []string // each a full line of the joined error; none means valid
	}{
		"valid": {mutate: func(c *SourceConfig) {}},
		"valid with everything set": {mutate: func(c *SourceConfig) {
			c.Schedule = "*/15 * * * *"
			c.Timeout = 45 * time.Second
			c.Keywords = []string{"acme"}
			c.Exclude = []string{"anvil"}
			c.Enabled = &off
		}},
		"brand defaults to the only one": {mutate: func(c *SourceConfig) { c.Brand = "" }, brands: []Brand{acme}},
		"keep everything":                {mutate: func(c *SourceConfig) { c.Brand = "quiet"; c.Keywords = []string{"*"} }, brands: noTerms},
		"missing name":                   {mutate: func(c *SourceConfig) { c.Name = "" }, want: []string{"sources[2].name: required"}},
		"bad name": {mutate: func(c *SourceConfig) { c.Name = "acme news!" },
			want: []string{`sources[2].name: "acme news!" must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`}},
		"missing kind": {mutate: func(c *SourceConfig) { c.Kind = "" }, want: []string{"sources[2].kind: required (one of: rss, mastodon, bluesky, reddit, hackernews, discourse, github, appstore, googleplay, youtube, webhook)"}},
		"unknown kind": {mutate: func(c *SourceConfig) { c.Kind = "myspace" }, want: []string{`sources[2].kind: unknown kind "myspace" (allowed: rss, mastodon, bluesky, reddit, hackernews, discourse, github, appstore, googleplay, youtube, webhook)`}},
		"missing url":  {mutate: func(c *SourceConfig) { c.URL = "" }, want: []string{"sources[2].url: required"}},
		"relative url": {mutate: func(c *SourceConfig) { c.URL = "news.example.com/feed" },
			want: []string{"sources[2].url: must be an absolute http or https URL (got news.example.com/feed)"}},
		"ftp url with a token": {mutate: func(c *SourceConfig) { c.URL = "ftp://files.example.com/feed?token=SEKRIT99" },
			want: []string{"sources[2].url: must be an absolute http or https URL (got ftp://files.example.com/feed?REDACTED)"}},
		"unknown brand": {mutate: func(c *SourceConfig) { c.Brand = "acme-typo" },
			want: []string{`sources[2].brand: unknown brand "acme-typo" (brands: "acme", "other")`}},
		"brand required with two brands": {mutate: func(c *SourceConfig) { c.Brand = "" },
			want: []string{`sources[2].brand: required when more than one brand is configured (brands: "acme", "other")`}},
		"no brands at all": {mutate: func(c *SourceConfig) { c.Brand = "" }, brands: []Brand{},
			want: []string{"sources[2].brand: no brands are configured"}},
		"bad schedule": {mutate: func(c *SourceConfig) { c.Schedule = "every 5 minutes" },
			want: []string{`sources[2].schedule: invalid schedule "every 5 minutes"`}},
		"schedule with a bad field": {mutate: func(c *SourceConfig) { c.Schedule = "61 * * * *" },
			want: []string{`sources[2].schedule: invalid schedule "61 * * * *"`}},
		"timeout too long": {mutate: func(c *SourceConfig) { c.Timeout = time.Hour },
			want: []string{"sources[2].timeout: must be between 1s and 10m0s (write it like 30s or 2m), got 1h0m0s"}},
		"timeout in nanoseconds": {mutate: func(c *SourceConfig) { c.Timeout = 30 },
			want: []string{"sources[2].timeout: must be between 1s and 10m0s"}},
		"empty keyword": {mutate: func(c *SourceConfig) { c.Keywords = []string{"acme", " "} },
			want: []string{"sources[2].keywords[1]: must not be empty"}},
		"star with others": {mutate: func(c *SourceConfig) { c.Keywords = []string{"acme", "*"} },
			want: []string{`sources[2].keywords[1]: "*" keeps every item and cannot be combined with other keywords`}},
		"star in exclude": {mutate: func(c *SourceConfig) { c.Exclude = []string{"*"} },
			want: []string{`sources[2].exclude[0]: "*" is only allowed in keywords`}},
		"keyword too long": {mutate: func(c *SourceConfig) { c.Keywords = []string{strings.Repeat("a", 201)} },
			want: []string{"sources[2].keywords[0]: longer than 200 characters"}},
		"nothing to match": {mutate: func(c *SourceConfig) { c.Brand = "quiet" }, brands: noTerms,
			want: []string{`sources[2].keywords: required because brand "quiet" has no terms (use ["*"] to keep every item)`}},
		"several problems at once": {mutate: func(c *SourceConfig) { c.Name = ""; c.URL = "mailto:x@example.com"; c.Schedule = "@often" },
			want: []string{"sources[2].name: required", "sources[2].url: must be an absolute http or https URL", `sources[2].schedule: invalid schedule "@often"`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := valid()
			tc.mutate(&c)
			bs := brands
			if tc.brands != nil {
				bs = tc.brands
			}
			err := c.Validate("sources[2]", bs)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(lines), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d = %q, want it to start with %q", i, lines[i], w)
				}
			}
			if strings.Contains(err.Error(), "SEKRIT99") {
				t.Errorf("error leaks the URL's token: %v", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Path, "sources[2].") {
				t.Errorf("errors.As FieldError: %+v", fe)
			}
		})
	}
}

func TestBrandValidate(t *testing.T) {
	tests := map[string]struct {
		brands []Brand
		want   []string
	}{
		"valid": {brands: []Brand{acme}},
		"missing name": {brands: []Brand{{Terms: []string{"x"}}},
			want: []string{"brands[0].name: required"}},
		"duplicate": {brands: []Brand{acme, acme},
			want: []string{`brands[1].name: duplicate brand "acme" (also brands[0])`}},
		"empty term and account": {brands: []Brand{{Name: "b", Terms: []string{""}, Accounts: map[string][]string{"mastodon": {"@b@example.social", ""}, "Bad Kind": {"x"}}}},
			want: []string{"brands[0].terms[0]: must not be empty", `brands[0].accounts.Bad Kind: "Bad Kind" is not a source kind`, "brands[0].accounts.mastodon[1]: must not be empty"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := ValidateBrands(tc.brands)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("got:\n%v\nwant %q", err, tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d = %q, want %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestBuild(t *testing.T) {
	f := newTestFetcher(newTestClock())
	off := false
	brands := []Brand{acme}
	good := SourceConfig{Name: "news", Kind: "rss", URL: "https://news.example.com/rss"}

	t.Run("builds enabled sources", func(t *testing.T) {
		disabled := SourceConfig{Name: "old", Kind: "rss", URL: "https://old.example.com/rss", Enabled: &off}
		cs, err := Build([]SourceConfig{good, disabled}, brands, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].Name() != "news" || cs[0].Kind() != "rss" {
			t.Fatalf("collectors = %v", cs)
		}
		if _, ok := cs[0].(*RSS); !ok {
			t.Fatalf("collector is %T", cs[0])
		}
	})
	t.Run("reports every bad entry at once", func(t *testing.T) {
		sources := []SourceConfig{
			good,
			{Name: "x", Kind: "twitter", URL: "https://x.example.com"},
			{Name: "news", Kind: "rss", URL: "https://other.example.com/rss"},
			{Name: "y", Kind: "rss", URL: "https://y.example.com", Schedule: "@fortnightly", Enabled: &off},
		}
		cs, err := Build(sources, append(brands, Brand{Name: ""}), f)
		if err == nil || cs != nil {
			t.Fatalf("cs=%v err=%v", cs, err)
		}
		want := []string{
			"brands[1].name: required",
			`sources[0].brand: required when more than one brand is configured (brands: "acme", "")`,
			`sources[1].kind: unknown kind "twitter" (allowed: rss, mastodon, bluesky, reddit, hackernews, discourse, github, appstore, googleplay, youtube, webhook)`,
			`sources[1].brand: required when more than one brand is configured`,
			`sources[2].brand: required when more than one brand is configured`,
			`sources[2].name: duplicate source name "news" (also sources[0])`,
			`sources[3].brand: required when more than one brand is configured`,
			`sources[3].schedule: invalid schedule "@fortnightly"`,
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(want) {
			t.Fatalf("got:\n%v", err)
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("line %d = %q, want %q", i, lines[i], w)
			}
		}
	})
	t.Run("needs a fetcher", func(t *testing.T) {
		if _, err := Build([]SourceConfig{good}, brands, nil); err == nil || !strings.Contains(err.Error(), "Fetcher") {
			t.Fatalf("err = %v", err)
		}
	})
}

// The loader decodes strictly; the yaml tags and types must support that.
func TestSourceConfigYAML(t *testing.T) {
	type file struct {
		Brands  []Brand        `yaml:"brands"`
		Sources []SourceConfig `yaml:"sources"`
	}
	decode := func(doc string) (file, error) {
		var f file
		dec := yaml.NewDecoder(strings.NewReader(doc))
		dec.KnownFields(true)
		err := dec.Decode(&f)
		return f, err
	}
	f, err := decode(`
brands:
  - name: acme
    terms: [Acme, "acme bank"]
    exclude: [cartoon]
    accounts:
      rss: [AcmeCare]
sources:
  - name: google-alerts
    kind: rss
    url: https://www.google.com/alerts/feeds/1/2
    schedule: "@every 15m"
    timeout: 45s
    keywords: ["*"]
    enabled: false
`)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Sources[0]
	if s.Timeout != 45*time.Second || s.Schedule != "@every 15m" || s.IsEnabled() || s.Keywords[0] != "*" || f.Brands[0].Accounts["rss"][0] != "AcmeCare" {
		t.Fatalf("decoded %+v %+v", f.Brands, s)
	}
	if err := s.Validate("sources[0]", f.Brands); err != nil {
		t.Fatal(err)
	}
	if _, err := decode("sources:\n  - name: x\n    kind: rss\n    ulr: https://x.example.com\n"); err == nil || !strings.Contains(err.Error(), "field ulr not found") {
		t.Fatalf("unknown key accepted: %v", err)
	}

	var d SourceConfig
	if d.EffectiveSchedule() != DefaultSchedule || d.EffectiveTimeout() != DefaultTimeout || !d.IsEnabled() {
		t.Fatal("defaults")
	}
}
