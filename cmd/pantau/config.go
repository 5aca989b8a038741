package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pantau/pantau/alerting"
	"github.com/pantau/pantau/alerting/digest"
	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/alerting/route"
	"github.com/pantau/pantau/collectors"
	"github.com/pantau/pantau/ops"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui"
)

// Config is the whole of pantau.yaml. Each part's section is owned and
// validated by its package; this file only assembles them and points
// errors at the file and line.
type Config struct {
	// DataDir holds the store file.
	DataDir string `yaml:"data_dir"`
	// UserAgent identifies Pantau to the sites it polls; include a contact.
	UserAgent string    `yaml:"user_agent"`
	Log       LogConfig `yaml:"log"`
	HTTP      ui.Config `yaml:"http"`
	// SweepInterval is how often open mentions are re-scored, so
	// unanswered clocks run without new data.
	SweepInterval time.Duration             `yaml:"sweep_interval"`
	Brands        []collectors.Brand        `yaml:"brands"`
	Sources       []collectors.SourceConfig `yaml:"sources"`
	// Scoring sets response targets, business hours and the time zone.
	Scoring alerting.ScoringConfig `yaml:"scoring"`
	Rules   []alerting.RuleConfig  `yaml:"rules"`
	// Receivers are where alerts are sent (Slack, PagerDuty, e-mail...).
	Receivers []notify.ReceiverConfig `yaml:"receivers"`
	// AckLinks signs the acknowledge links in notifications.
	AckLinks notify.AckConfig `yaml:"ack_links"`
	// Ops is the optional listener for metrics, health and backups.
	Ops ops.Config `yaml:"ops"`
	// Retention is how long each kind of data is kept.
	Retention store.RetentionConfig `yaml:"retention"`
	// Digests schedules the daily and weekly reputation digests.
	Digests digest.Config `yaml:"digests"`
	// Spikes watch complaint volume per brand against its usual level.
	Spikes []alerting.SpikeConfig `yaml:"spikes"`
	// Routes and OnCall decide who hears about which alert, and when
	// (docs/alerting.md).
	Routes []route.RouteConfig    `yaml:"routes"`
	OnCall []route.ScheduleConfig `yaml:"oncall"`
}

// LogConfig chooses the log's level and format.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

const (
	maxConfigBytes      = 1 << 20
	defaultSweep        = time.Minute
	defaultDataDir      = "data"
	sweepWindow         = 7 * 24 * time.Hour
	minSweep            = time.Second
	storeFileName       = "pantau.db"
	defaultLogLevelName = "info"
)

// loadConfig reads and validates a config file. Errors name the file, the
// line and the field.
func loadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("config %s: larger than %d bytes", path, maxConfigBytes)
	}
	return parseConfig(path, data)
}

// parseConfig decodes strictly (unknown keys are errors), applies defaults
// and validates every section, reporting every problem at once.
func parseConfig(name string, data []byte) (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: the file is empty", name)
		}
		return nil, fmt.Errorf("config %s: %s", name, yamlErrorText(name, err))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		var lines []string
		for _, msg := range strings.Split(err.Error(), "\n") {
			lines = append(lines, locate(name, &root, msg))
		}
		return nil, fmt.Errorf("config %s is invalid:\n  %s", name, strings.Join(lines, "\n  "))
	}
	return &cfg, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlErrorText rewrites the decoder's "line N: ..." messages as
// "file:N: ...", one per line.
func yamlErrorText(name string, err error) string {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for i, m := range msgs {
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			m = name + ":" + sm[1] + ": " + strings.TrimPrefix(m, sm[0])
		}
		m = strings.Replace(m, "not found in type", "is not a known setting of", 1)
		msgs[i] = m
	}
	return strings.Join(msgs, "; ")
}

func (c *Config) applyDefaults() {
	if c.DataDir == "" {
		c.DataDir = defaultDataDir
	}
	if c.UserAgent == "" {
		c.UserAgent = "Pantau/" + version + " (+https://github.com/pantau/pantau)"
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = defaultSweep
	}
	if c.Log.Level == "" {
		c.Log.Level = defaultLogLevelName
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.HTTP.Auth == "" {
		c.HTTP.Auth = ui.AuthLogin
	}
	c.Retention.ApplyDefaults()
}

// validate checks every section and joins all problems; each message starts
// with the field's path in the file.
func (c *Config) validate() error {
	var errs []error
	if c.SweepInterval < minSweep {
		errs = append(errs, fmt.Errorf("sweep_interval: must be at least %s", minSweep))
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		errs = append(errs, fmt.Errorf("log.level: %w", err))
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		errs = append(errs, fmt.Errorf("log.format: %q is not text or json", c.Log.Format))
	}
	errs = append(errs, c.HTTP.Validate("http"))
	if len(c.Brands) == 0 {
		errs = append(errs, errors.New("brands: at least one brand is needed"))
	}
	for i, b := range c.Brands {
		errs = append(errs, b.Validate(fmt.Sprintf("brands[%d]", i)))
	}
	if len(c.Sources) == 0 {
		errs = append(errs, errors.New("sources: at least one source is needed"))
	}
	names := map[string]bool{}
	for i, s := range c.Sources {
		path := fmt.Sprintf("sources[%d]", i)
		if names[s.Name] && s.Name != "" {
			errs = append(errs, fmt.Errorf("%s.name: %q is used by another source", path, s.Name))
		}
		names[s.Name] = true
		errs = append(errs, s.Validate(path, c.Brands))
	}
	errs = append(errs, c.Scoring.Validate("scoring"))
	for name := range c.Scoring.Brands {
		if !slices.ContainsFunc(c.Brands, func(b collectors.Brand) bool { return b.Name == name }) {
			errs = append(errs, fmt.Errorf("scoring.brands.%s: no brand of that name is configured", name))
		}
	}
	for i, r := range c.Rules {
		errs = append(errs, r.Validate(fmt.Sprintf("rules[%d]", i)))
	}
	errs = append(errs, notify.ValidateReceivers(c.Receivers), c.AckLinks.Validate("ack_links"))
	errs = append(errs, c.Ops.Validate("ops"), c.Retention.Validate("retention"))
	if _, err := c.Digests.Build("digests", c.Receivers, c.Scoring.Timezone); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, alerting.ValidateSpikes("spikes", c.Spikes, c.Rules), c.routing().Validate(c.receiverNames(), c.ruleNames()))
	return errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	return l, nil
}

// locate prefixes a validation message "path.to[2].field: ..." with the
// file and the line where that field (or its nearest ancestor present in
// the file) is written.
func locate(file string, root *yaml.Node, msg string) string {
	path, _, ok := strings.Cut(msg, ": ")
	if !ok || strings.ContainsAny(path, " \"'") {
		return file + ": " + msg
	}
	if line := lineOf(root, path); line > 0 {
		return fmt.Sprintf("%s:%d: %s", file, line, msg)
	}
	return file + ": " + msg
}

var (
	pathPart  = regexp.MustCompile(`^([A-Za-z0-9_-]*)((?:\[\d+\])*)$`)
	pathIndex = regexp.MustCompile(`\d+`)
)

// lineOf walks a path like "sources[2].url" through the YAML tree and
// returns the line of the deepest node found along it.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(path, ".") {
		m := pathPart.FindStringSubmatch(part)
		if m == nil {
			return line
		}
		if m[1] != "" {
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == m[1] {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		}
		for _, idx := range pathIndex.FindAllString(m[2], -1) {
			i, _ := strconv.Atoi(idx)
			if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		}
	}
	return line
}
