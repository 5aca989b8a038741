package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// Notifier delivers one message to one receiver. It follows the shared
// status policy: nil error means the receiver accepted the message; retry
// says whether sending the same message later may succeed. Errors never
// contain a secret.
type Notifier interface {
	Notify(ctx context.Context, m Message) (retry bool, err error)
}

// Receiver kinds.
const (
	KindSlack     = "slack"
	KindDiscord   = "discord"
	KindTeams     = "teams"
	KindPagerDuty = "pagerduty"
	KindWebhook   = "webhook"
	KindEmail     = "email"
	KindNtfy      = "ntfy"
	KindTelegram  = "telegram"
)

// Kinds lists the receiver kinds Build knows.
func Kinds() []string {
	return []string{KindSlack, KindDiscord, KindTeams, KindPagerDuty, KindWebhook, KindEmail, KindNtfy, KindTelegram}
}

// ReceiverConfig is one entry of the config's receivers list: where
// notifications go, which of them, and the kind's own settings in a
// section named after the kind.
//
//	receivers:
//	  - name: oncall-slack
//	    kind: slack
//	    slack:
//	      url_file: /run/secrets/slack_webhook
//	  - name: pagerduty
//	    kind: pagerduty
//	    min_priority: 0.6
//	    pagerduty:
//	      routing_key: ${PAGERDUTY_ROUTING_KEY}
type ReceiverConfig struct {
	// Name identifies the receiver in the outbox, logs and dashboard. The
	// outbox keys by it: renaming a receiver leaves its pending items
	// with the old name.
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`

	// Rules and Brands, when set, limit the receiver to alerts of those
	// rules and brands.
	Rules  []string `yaml:"rules"`
	Brands []string `yaml:"brands"`
	// MinPriority limits the receiver to alerts of at least this
	// priority (0..1).
	MinPriority float64 `yaml:"min_priority"`
	// Actions lists what the receiver is told: trigger, acknowledge,
	// resolve (the default is all three; digest is opt-in).
	Actions []Action `yaml:"actions"`

	Slack     *SlackConfig     `yaml:"slack"`
	Discord   *DiscordConfig   `yaml:"discord"`
	Teams     *TeamsConfig     `yaml:"teams"`
	PagerDuty *PagerDutyConfig `yaml:"pagerduty"`
	Webhook   *WebhookConfig   `yaml:"webhook"`
	Email     *EmailConfig     `yaml:"email"`
	Ntfy      *NtfyConfig      `yaml:"ntfy"`
	Telegram  *TelegramConfig  `yaml:"telegram"`
}

// SlackConfig is a Slack incoming webhook.
type SlackConfig struct {
	// URL is the webhook URL (https://hooks.slack.com/services/...). The
	// URL is the credential: use ${ENV} or url_file.
	URL     secret.Secret `yaml:"url"`
	URLFile string        `yaml:"url_file"`
}

// DiscordConfig is a Discord channel webhook.
type DiscordConfig struct {
	URL     secret.Secret `yaml:"url"`
	URLFile string        `yaml:"url_file"`
	// Username overrides the webhook's display name.
	Username string `yaml:"username"`
}

// TeamsConfig is a Microsoft Teams incoming webhook (a Workflows "post to
// a channel when a webhook request is received" URL, or a legacy
// connector URL).
type TeamsConfig struct {
	URL     secret.Secret `yaml:"url"`
	URLFile string        `yaml:"url_file"`
}

// PagerDutyConfig is a PagerDuty Events API v2 integration.
type PagerDutyConfig struct {
	RoutingKey     secret.Secret `yaml:"routing_key"`
	RoutingKeyFile string        `yaml:"routing_key_file"`
	// URL is the events endpoint; empty means
	// https://events.pagerduty.com/v2/enqueue (set the EU one,
	// https://events.eu.pagerduty.com/v2/enqueue, for EU accounts).
	URL string `yaml:"url"`
	// Severity, when set, replaces the severity derived from the alert's
	// priority: critical, error, warning or info.
	Severity string `yaml:"severity"`
}

// WebhookConfig is a generic JSON webhook, signed with HMAC-SHA256.
type WebhookConfig struct {
	// URL may carry a token, so it is a secret too.
	URL     secret.Secret `yaml:"url"`
	URLFile string        `yaml:"url_file"`
	// Secret signs every request (X-Pantau-Signature); at least 16
	// bytes.
	Secret     secret.Secret `yaml:"secret"`
	SecretFile string        `yaml:"secret_file"`
}

// EmailConfig sends e-mail over SMTP.
type EmailConfig struct {
	Host string `yaml:"host"`
	// Port defaults to 465 with tls, else 587.
	Port int      `yaml:"port"`
	From string   `yaml:"from"`
	To   []string `yaml:"to"`
	// Username and Password, when set, authenticate with AUTH PLAIN,
	// which Pantau only does over TLS.
	Username     string        `yaml:"username"`
	Password     secret.Secret `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`
	// StartTLS is "opportunistic" (the default: use it when the server
	// offers it), "required" (never send without it) or "off".
	StartTLS string `yaml:"starttls"`
	// TLS connects with TLS from the start (SMTPS, port 465).
	TLS bool `yaml:"tls"`
	// Hello is the name sent in EHLO; empty means "localhost".
	Hello string `yaml:"hello"`
}

// NtfyConfig publishes to an ntfy topic.
type NtfyConfig struct {
	// URL is the topic URL (https://ntfy.sh/my-topic). On a public
	// server the topic name is the only protection: it is a secret.
	URL     secret.Secret `yaml:"url"`
	URLFile string        `yaml:"url_file"`
	// Token is an access token, sent as a bearer token.
	Token     secret.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`
	// Priority of triggers, 1..5; default 4 (high).
	Priority int      `yaml:"priority"`
	Tags     []string `yaml:"tags"`
}

// TelegramConfig sends through a Telegram bot.
type TelegramConfig struct {
	Token     secret.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`
	// ChatID is the chat's numeric id or a public channel's @name.
	ChatID string `yaml:"chat_id"`
	// APIURL defaults to https://api.telegram.org.
	APIURL string `yaml:"api_url"`
}

// AckConfig configures acknowledge links. Suggested place in the config:
// a top-level "ack_links:" section.
type AckConfig struct {
	// Key signs the links; at least 32 bytes. Without a key, messages
	// carry no acknowledge link.
	Key     secret.Secret `yaml:"key"`
	KeyFile string        `yaml:"key_file"`
	// TTL is how long a link stays valid; default 24h, at most 30 days.
	TTL time.Duration `yaml:"ttl"`
}

// Validate checks the section; path is its YAML path ("ack_links").
func (c AckConfig) Validate(path string) error {
	var errs []error
	k, err := secret.Resolve(c.Key, c.KeyFile)
	switch {
	case err != nil:
		errs = append(errs, fieldErr(path+".key_file", "%v", err))
	case k.IsSet() && len(k.Reveal()) < MinAckKeyLen:
		errs = append(errs, fieldErr(path+".key", "must be at least %d bytes (try: openssl rand -hex 32)", MinAckKeyLen))
	}
	if c.TTL < 0 || c.TTL > 30*24*time.Hour || (c.TTL > 0 && c.TTL < time.Minute) {
		errs = append(errs, fieldErr(path+".ttl", "must be between 1m and 720h, got %s", c.TTL))
	}
	return errors.Join(errs...)
}

// Signer returns the signer for the section, nil without a key.
func (c AckConfig) Signer(now func() time.Time) (*AckSigner, error) {
	k, err := secret.Resolve(c.Key, c.KeyFile)
	if err != nil || !k.IsSet() {
		return nil, err
	}
	return &AckSigner{Key: k, Now: now}, nil
}

// Deps are what notifiers need from the process.
type Deps struct {
	// Client sends HTTP requests; nil means a client with a 30 s timeout.
	// Redirects are never followed, whatever the client says.
	Client *http.Client
	// UserAgent identifies Pantau; empty means "Pantau".
	UserAgent string
	// Now is the clock (Retry-After dates, webhook timestamps, e-mail
	// Date); nil means time.Now.
	Now func() time.Time
	// TLSConfig is the base TLS configuration for SMTP (tests add their
	// root CA); nil means the system roots.
	TLSConfig *tls.Config
}

var defaultClient = &http.Client{Timeout: 30 * time.Second}

func (d Deps) client() *http.Client {
	if d.Client == nil {
		return defaultClient
	}
	return d.Client
}

func (d Deps) userAgent() string {
	if d.UserAgent == "" {
		return "Pantau"
	}
	return d.UserAgent
}

func (d Deps) now() func() time.Time {
	if d.Now == nil {
		return time.Now
	}
	return d.Now
}

// Receiver is a built receiver: its notifier and its route.
type Receiver struct {
	Name     string
	Kind     string
	Notifier Notifier
	Route    Route
}

// Route says which alerts and actions go to a receiver. The zero Route
// takes every alert's trigger, acknowledge and resolve.
type Route struct {
	Rules       []string
	Brands      []string
	MinPriority float64
	Actions     []Action
}

// DefaultActions are what a receiver is told when its config does not say.
var DefaultActions = []Action{Trigger, Acknowledge, Resolve}

// Match reports whether the route takes action on a.
func (r Route) Match(a store.Alert, action Action) bool {
	actions := r.Actions
	if len(actions) == 0 {
		actions = DefaultActions
	}
	if !slices.Contains(actions, action) {
		return false
	}
	if action == Digest {
		return true
	}
	return (len(r.Rules) == 0 || slices.Contains(r.Rules, a.Rule)) &&
		(len(r.Brands) == 0 || slices.Contains(r.Brands, a.Brand)) &&
		a.Priority >= r.MinPriority
}

// FieldError is one configuration problem at a YAML path
// ("receivers[2].pagerduty.routing_key"), which the config loader maps to
// a file line.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

func fieldErr(path, format string, args ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

var receiverNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks one receiver; path is its YAML path ("receivers[2]")
// and every message starts with the offending field's path. It reads the
// *_file secrets, as Build will.
func (c ReceiverConfig) Validate(path string) error {
	_, err := c.build(path, Deps{})
	return err
}

// ValidateReceivers checks a receivers list at YAML path "receivers",
// names included (unique).
func ValidateReceivers(cfgs []ReceiverConfig) error {
	_, err := Build(cfgs, Deps{})
	return err
}

// Build makes the receivers of a receivers list, reporting every bad
// entry at once (errors.Join of messages starting with
// "receivers[i]...").
func Build(cfgs []ReceiverConfig, d Deps) ([]Receiver, error) {
	var errs []error
	var out []Receiver
	names := map[string]bool{}
	for i, c := range cfgs {
		path := fmt.Sprintf("receivers[%d]", i)
		if c.Name != "" && names[c.Name] {
			errs = append(errs, fieldErr(path+".name", "%q is used by another receiver", c.Name))
		}
		names[c.Name] = true
		r, err := c.build(path, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Notifiers maps the receivers by name, as NewDispatcher takes them.
func Notifiers(rs []Receiver) map[string]Notifier {
	m := make(map[string]Notifier, len(rs))
	for _, r := range rs {
		m[r.Name] = r.Notifier
	}
	return m
}

// Routes maps the receivers' routes by name.
func Routes(rs []Receiver) map[string]Route {
	m := make(map[string]Route, len(rs))
	for _, r := range rs {
		m[r.Name] = r.Route
	}
	return m
}

// build checks and builds one receiver: an explicit switch on the kind,
// collecting every problem.
func (c ReceiverConfig) build(path string, d Deps) (Receiver, error) {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(path+"."+field, format, args...))
	}
	switch {
	case c.Name == "":
		add("name", "required")
	case !receiverNamePattern.MatchString(c.Name):
		add("name", "%q must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", OneLine(c.Name, 80))
	}
	if c.MinPriority < 0 || c.MinPriority > 1 {
		add("min_priority", "must be between 0 and 1, got %v", c.MinPriority)
	}
	for i, a := range c.Actions {
		if !a.Valid() {
			add(fmt.Sprintf("actions[%d]", i), "unknown action %q (allowed: trigger, acknowledge, resolve, digest)", OneLine(string(a), 40))
		}
	}
	for i, r := range c.Rules {
		if strings.TrimSpace(r) == "" {
			add(fmt.Sprintf("rules[%d]", i), "empty rule name")
		}
	}
	for i, b := range c.Brands {
		if strings.TrimSpace(b) == "" {
			add(fmt.Sprintf("brands[%d]", i), "empty brand name")
		}
	}

	// Exactly the kind's own section may be set.
	sections := map[string]bool{
		KindSlack: c.Slack != nil, KindDiscord: c.Discord != nil, KindTeams: c.Teams != nil,
		KindPagerDuty: c.PagerDuty != nil, KindWebhook: c.Webhook != nil, KindEmail: c.Email != nil,
		KindNtfy: c.Ntfy != nil, KindTelegram: c.Telegram != nil,
	}
	for _, k := range Kinds() {
		if sections[k] && k != c.Kind && c.Kind != "" {
			add(k, "set, but the receiver's kind is %q", OneLine(c.Kind, 40))
		}
	}

	var n Notifier
	var kerrs []error
	sec := path + "." + c.Kind
	switch c.Kind {
	case "":
		add("kind", "required (one of: %s)", strings.Join(Kinds(), ", "))
	case KindSlack:
		n, kerrs = newSlack(c.Slack, sec, d)
	case KindDiscord:
		n, kerrs = newDiscord(c.Discord, sec, d)
	case KindTeams:
		n, kerrs = newTeams(c.Teams, sec, d)
	case KindPagerDuty:
		n, kerrs = newPagerDuty(c.PagerDuty, sec, d)
	case KindWebhook:
		n, kerrs = newWebhook(c.Webhook, sec, d)
	case KindEmail:
		n, kerrs = newEmail(c.Email, sec, d)
	case KindNtfy:
		n, kerrs = newNtfy(c.Ntfy, sec, d)
	case KindTelegram:
		n, kerrs = newTelegram(c.Telegram, sec, d)
	default:
		add("kind", "unknown kind %q (allowed: %s)", OneLine(c.Kind, 40), strings.Join(Kinds(), ", "))
	}
	errs = append(errs, kerrs...)
	if err := errors.Join(errs...); err != nil {
		return Receiver{}, err
	}
	return Receiver{
		Name: c.Name, Kind: c.Kind, Notifier: n,
		Route: Route{Rules: c.Rules, Brands: c.Brands, MinPriority: c.MinPriority, Actions: c.Actions},
	}, nil
}

// resolveSecret reads a secret and its *_file twin, reporting problems
// at path.field. The value is never put in a message.
func resolveSecret(inline secret.Secret, file, path, field string, required bool, errs *[]error) secret.Secret {
	s, err := secret.Resolve(inline, file)
	switch {
	case err != nil:
		*errs = append(*errs, fieldErr(path+"."+field+"_file", "%v", err))
	case required && !s.IsSet():
		*errs = append(*errs, fieldErr(path+"."+field, "required (or %s_file)", field))
	}
	return s
}

// checkURL checks an http(s) URL. When the URL is a secret the message
// does not quote it.
func checkURL(raw, path string, isSecret bool, errs *[]error) {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return
	}
	if isSecret {
		*errs = append(*errs, fieldErr(path, "must be an absolute http or https URL"))
		return
	}
	*errs = append(*errs, fieldErr(path, "must be an absolute http or https URL, got %q", OneLine(raw, 100)))
}

// section reports a missing kind section.
func missingSection(path string) []error {
	return []error{fieldErr(path, "required: the settings of this kind of receiver")}
}
