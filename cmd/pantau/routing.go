package main

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pantau/pantau/alerting/route"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui"
)

// routing is the routes and on-call sections; without routes, one default
// route sends every alert at once to every receiver (as their own filters
// allow), as Pantau did before routes.
func (c *Config) routing() route.Config {
	rc := route.Config{Routes: c.Routes, OnCall: c.OnCall}
	if len(rc.Routes) == 0 && len(c.Receivers) > 0 {
		rc.Routes = []route.RouteConfig{route.DefaultRoute(c.receiverNames())}
	}
	return rc
}

func (c *Config) receiverNames() []string {
	var out []string
	for _, r := range c.Receivers {
		out = append(out, r.Name)
	}
	return out
}

// ruleNames are what a route may name: rules and spike watches.
func (c *Config) ruleNames() []string {
	var out []string
	for _, r := range c.Rules {
		out = append(out, r.Name)
	}
	for _, s := range c.Spikes {
		out = append(out, s.Name)
	}
	return out
}

// routerPoll is how often the router looks at the clock without a store
// change: group waits, escalations and quiet hours end on time to within
// this.
const routerPoll = 5 * time.Second

// currentRouter hands the leads' dashboard actions to whichever router
// runs now; a reload swaps it.
type currentRouter struct {
	atomic.Pointer[route.Engine]
}

var _ ui.AlertOps = (*currentRouter)(nil)

// uiErr maps the router's refusals to what the dashboard answers 400.
func uiErr(err error) error {
	if errors.Is(err, route.ErrBadRequest) {
		return fmt.Errorf("%w: %w", ui.ErrInvalid, err)
	}
	return err
}

func (c *currentRouter) Snooze(id string, d time.Duration, by string) (store.Alert, error) {
	a, err := c.Load().Snooze(id, d, by)
	return a, uiErr(err)
}

func (c *currentRouter) Escalate(id, by string) (store.Alert, error) {
	a, err := c.Load().Escalate(id, by)
	return a, uiErr(err)
}

func (c *currentRouter) Silences() ([]store.Silence, error) { return c.Load().Silences() }

func (c *currentRouter) AddSilence(s store.Silence) (store.Silence, error) {
	out, err := c.Load().AddSilence(s)
	return out, uiErr(err)
}

func (c *currentRouter) DeleteSilence(id, by string) error { return c.Load().DeleteSilence(id, by) }

func (c *currentRouter) OnCall() (ui.OnCall, error) {
	now, next := c.Load().OnCall()
	var out ui.OnCall
	for _, d := range now {
		out.Now = append(out.Now, ui.OnDuty{Level: d.Level, Name: d.Name, Receivers: d.Receivers})
	}
	for _, h := range next {
		out.Next = append(out.Next, ui.Handover{Level: h.Level, Name: h.Name, From: h.From})
	}
	return out, nil
}
