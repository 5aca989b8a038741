package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pantau/pantau/alerting"
	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/alerting/route"
	"github.com/pantau/pantau/alerting/textmodel"
	"github.com/pantau/pantau/collectors"
	"github.com/pantau/pantau/ops"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui"
)

type serveOptions struct {
	// ConfigPath is re-read whenever Reload delivers (SIGHUP); empty
	// disables reloading.
	ConfigPath string
	Reload     <-chan os.Signal
	Stdout     io.Writer
	Stderr     io.Writer
	// Ready, when set, is called with the dashboard's address once it
	// accepts connections.
	Ready func(addr string)
}

// shutdownTimeout bounds the whole graceful shutdown.
const shutdownTimeout = 15 * time.Second

// serve runs the daemon until ctx is done: store, collectors on their
// schedules, the scoring pipeline and its sweep, and the dashboard.
func serve(ctx context.Context, cfg *Config, opts serveOptions) error {
	level := new(slog.LevelVar)
	logger := newLogger(cfg.Log, level, opts.Stderr)

	// A reload asked for while starting waits in the channel (main took
	// SIGHUP before anything else) and is done once the daemon runs.
	var hup <-chan os.Signal
	if opts.ConfigPath != "" {
		hup = opts.Reload
	}

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, storeFileName), store.Options{})
	if err != nil {
		return err
	}
	var cleanups cleanupStack
	cleanups.push("store", func(context.Context) error { return st.Close() })
	defer func() { cleanups.run(logger) }()

	// Listen before anything starts, so a busy port fails fast.
	ln, err := net.Listen("tcp", cfg.HTTP.ListenAddr())
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	var opsLn net.Listener
	if cfg.Ops.Listen != "" {
		if opsLn, err = net.Listen("tcp", cfg.Ops.Listen); err != nil {
			ln.Close()
			return fmt.Errorf("ops: %w", err)
		}
	}
	closeListeners := func() {
		ln.Close()
		if opsLn != nil {
			opsLn.Close()
		}
	}

	// The running config, for what reads it after a reload (metrics'
	// source names, retention).
	var running atomic.Pointer[Config]
	running.Store(cfg)
	var srv *ui.Server
	metrics := ops.NewMetrics(ops.StateSource{
		Store:   st,
		Sources: func() []string { return sourceNames(running.Load()) },
		Clients: func() int64 { return srv.LiveClients() },
		Log:     logger,
	})
	var collecting atomic.Bool
	health := &ops.Health{Store: st, CollectorsRunning: collecting.Load}

	fetcher := collectors.NewFetcher(collectors.FetcherOptions{UserAgent: cfg.UserAgent})
	// Inbound webhook sources are served by the dashboard's HTTP server at
	// POST /hooks/{source}; a reload swaps the sources behind the router.
	hooks := collectors.NewWebhooks(logger)
	// The acknowledge-link key is read once, so the links notifications
	// carry and the /ack page that checks them always agree; changing it
	// takes a restart.
	signer, err := cfg.AckLinks.Signer(time.Now)
	if err != nil {
		closeListeners()
		return err
	}
	work, err := startWork(cfg, st, fetcher, hooks, signer, logger, metrics)
	if err != nil {
		closeListeners()
		return err
	}
	collecting.Store(true)
	// Dashboard actions go through the running pipeline, which serialises
	// every alert change; a reload swaps it.
	var current currentPipeline
	current.Store(work.pipe)
	var router currentRouter
	router.Store(work.router)
	var workMu sync.Mutex
	cleanups.push("collectors and sweep", func(ctx context.Context) error {
		workMu.Lock()
		defer workMu.Unlock()
		collecting.Store(false)
		return work.stop(ctx)
	})
	retentionCtx, stopRetention := context.WithCancel(context.Background())
	retentionDone := make(chan struct{})
	go func() {
		defer close(retentionDone)
		runRetention(retentionCtx, st, func() store.RetentionConfig { return running.Load().Retention }, time.Now, logger)
	}()
	cleanups.push("retention", func(ctx context.Context) error {
		stopRetention()
		select {
		case <-retentionDone:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})

	uiOpts := []ui.Option{ui.WithAlertActions(&current), ui.WithAlertOps(&router), ui.WithHandler("/hooks/{source}", hooks),
		ui.WithHandler("GET /readyz", http.HandlerFunc(health.Readyz))}
	// Accounts, the agents' mention actions and the admins' config view.
	uiOpts = append(uiOpts, accountOptions(&running, &current, logger)...)
	// Acknowledge links in notifications land here.
	if signer != nil {
		uiOpts = append(uiOpts, ui.WithHandler("/ack", notify.AckHandler(signer.Verify, func(id, by string) error {
			if route.IsGroup(id) {
				// A grouped notification's link acknowledges its alerts.
				return router.Load().AcknowledgeGroup(id, by, current.Acknowledge)
			}
			_, err := current.Acknowledge(id, by)
			auditAckLink(st, logger, id, by, err)
			return err
		})))
	}
	srv = ui.New(cfg.HTTP, st, logger, uiOpts...)
	if err := loadAccounts(srv, cfg, logger); err != nil {
		ln.Close()
		return err
	}
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(httpCtx, ln) }()
	cleanups.push("http", func(ctx context.Context) error {
		stopHTTP()
		select {
		case err := <-httpDone:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})

	opsAddr := ""
	if opsLn != nil {
		opsCtx, stopOps := context.WithCancel(context.Background())
		opsDone := make(chan error, 1)
		go func() { opsDone <- ops.Serve(opsCtx, opsLn, ops.Handler(metrics, health, st, logger)) }()
		cleanups.push("ops http", func(ctx context.Context) error {
			stopOps()
			select {
			case err := <-opsDone:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		opsAddr = "http://" + opsLn.Addr().String() + "/"
	}

	addr := "http://" + ln.Addr().String() + "/"
	logger.Info("pantau started", "version", version, "dashboard", addr, "ops", opsAddr, "sources", len(cfg.Sources), "data", cfg.DataDir)
	if opts.Ready != nil {
		opts.Ready(addr)
	}

	for {
		select {
		case <-ctx.Done():
			logger.Info("shutting down")
			return nil
		case err := <-httpDone:
			httpDone <- err // let the cleanup see it too
			return fmt.Errorf("http server stopped: %w", err)
		case <-hup:
			if err := srv.ReloadUsers(true); err != nil {
				logger.Error("users file reload failed; keeping the previous accounts", "err", err)
			}
			next, err := loadConfig(opts.ConfigPath)
			if err != nil {
				logger.Error("config reload failed; keeping the running config", "err", err)
				continue
			}
			if !next.HTTP.Equal(cfg.HTTP) || next.DataDir != cfg.DataDir || !reflect.DeepEqual(next.AckLinks, cfg.AckLinks) {
				logger.Warn("config reload: http, data_dir and ack_links changes take effect after a restart")
			}
			if next.Ops != cfg.Ops {
				logger.Warn("config reload: ops changes take effect after a restart")
			}
			fresh, err := startWork(next, st, fetcher, hooks, signer, logger, metrics)
			if err != nil {
				logger.Error("config reload failed; keeping the running config", "err", err)
				continue
			}
			workMu.Lock()
			stopCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			if err := work.stop(stopCtx); err != nil {
				logger.Warn("stopping the previous collectors", "err", err)
			}
			cancel()
			work = fresh
			current.Store(fresh.pipe)
			router.Store(fresh.router)
			workMu.Unlock()
			level.Set(mustLevel(next.Log.Level))
			cfg = next
			running.Store(next)
			logger.Info("config reloaded", "sources", len(cfg.Sources), "rules", len(cfg.Rules))
		}
	}
}

// work is everything a config reload replaces: the collectors' scheduler
// and the scoring pipeline with its periodic sweep.
type work struct {
	pipe  *alerting.Pipeline
	sched *collectors.Scheduler
	// The notification dispatcher follows the store's alert events and
	// delivers its durable outbox; all its state is in the store, so a
	// reload restarts it with the new receivers safely.
	stopNotify context.CancelFunc
	notifyDone chan struct{}
	stopSweep  context.CancelFunc
	sweepDone  chan struct{}

	// router decides who hears of which alert and when.
	router *route.Engine
}

func startWork(cfg *Config, st *store.Store, fetcher *collectors.Fetcher, hooks *collectors.Webhooks, signer *notify.AckSigner, logger *slog.Logger, metrics *ops.Metrics) (*work, error) {
	// Before any collector can raise an alert: the router announces
	// every alert from its first start on.
	if err := route.MarkFirstStart(st, time.Now()); err != nil {
		return nil, err
	}
	cols, err := collectors.Build(cfg.Sources, cfg.Brands, fetcher)
	if err != nil {
		return nil, err
	}
	scorer, err := alerting.NewScorer(cfg.Scoring, alerting.TextModel(textmodel.Default()), time.Now)
	if err != nil {
		return nil, fmt.Errorf("scoring: %w", err)
	}
	pipe := alerting.NewPipeline(st, timedScorer{scorer, metrics.ObserveScore}, cfg.Rules, logger, time.Now).WithSpikes(cfg.Spikes)
	pipe.OnAlertRaised(metrics.AlertRaised)
	sched := collectors.NewScheduler(st, pipe, logger, time.Now)
	sched.ObservePolls(metrics.ObservePoll)
	byName := map[string]collectors.SourceConfig{}
	for _, s := range cfg.Sources {
		byName[s.Name] = s
	}
	for _, c := range cols {
		src := byName[c.Name()]
		if err := sched.Add(c, src.EffectiveSchedule(), src.EffectiveTimeout()); err != nil {
			return nil, fmt.Errorf("source %s: %w", c.Name(), err)
		}
	}
	sched.Start()
	hooks.Set(cols, pipe) // the same sink as the scheduler's

	receivers, err := notify.Build(cfg.Receivers, notify.Deps{UserAgent: cfg.UserAgent})
	if err != nil {
		sched.Stop(context.Background())
		return nil, err
	}
	renderer := &notify.Renderer{PublicURL: cfg.HTTP.PublicURL, Signer: signer, AckTTL: cfg.AckLinks.TTL, Mask: audit.MaskAll}
	dispatcher := notify.NewDispatcher(st, notify.Notifiers(receivers), logger, time.Now,
		notify.DispatcherOptions{Renderer: renderer, Mention: st.Mention, Routes: notify.Routes(receivers), Observe: metrics.Notification})
	// The router decides who hears of which alert and when (routes,
	// grouping, silences, escalation); the dispatcher delivers.
	router, err := route.New(cfg.routing(), route.Options{Store: st, Outbox: dispatcher, Filters: notify.Routes(receivers),
		Logger: logger.With("component", "router"), Now: time.Now})
	if err != nil {
		sched.Stop(context.Background())
		return nil, err
	}
	notifyCtx, stopNotify := context.WithCancel(context.Background())
	notifyDone := make(chan struct{})
	go func() {
		defer close(notifyDone)
		var wg sync.WaitGroup
		wg.Go(func() { runDigests(notifyCtx, cfg, st, dispatcher.Wake, logger) })
		wg.Add(2)
		go func() { defer wg.Done(); logIfFailed(logger, "notification delivery", dispatcher.Run(notifyCtx)) }()
		go func() { defer wg.Done(); router.Run(notifyCtx, routerPoll) }()
		wg.Wait()
	}()

	ctx, cancel := context.WithCancel(context.Background())
	w := &work{pipe: pipe, router: router, sched: sched, stopSweep: cancel, sweepDone: make(chan struct{}), stopNotify: stopNotify, notifyDone: notifyDone}
	go func() {
		defer close(w.sweepDone)
		t := time.NewTicker(cfg.SweepInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := pipe.Sweep(ctx, sweepWindow); err != nil && !errors.Is(err, context.Canceled) {
					logger.Error("sweep failed", "err", err)
				}
			}
		}
	}()
	return w, nil
}

// stop stops the collectors first (no new alerts), then the sweep, then
// notification delivery (an undelivered item stays in the outbox for the
// next start).
func (w *work) stop(ctx context.Context) error {
	w.stopSweep()
	err := w.sched.Stop(ctx)
	for _, done := range []chan struct{}{w.sweepDone, w.notifyDone} {
		if done == w.notifyDone {
			w.stopNotify()
		}
		select {
		case <-done:
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
	return err
}

func logIfFailed(logger *slog.Logger, what string, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		logger.Error(what+" stopped", "err", err)
	}
}

// currentPipeline hands dashboard actions to whichever pipeline runs now.
type currentPipeline struct {
	atomic.Pointer[alerting.Pipeline]
}

func (c *currentPipeline) Acknowledge(id, by string) (store.Alert, error) {
	return c.Load().Acknowledge(id, by)
}

func (c *currentPipeline) Resolve(id, by string) (store.Alert, error) {
	return c.Load().Resolve(id, by)
}

// cleanupStack runs named cleanups in reverse order of registration under
// one deadline, logging each failure and going on with the rest.
type cleanupStack struct {
	names []string
	fns   []func(context.Context) error
}

func (c *cleanupStack) push(name string, fn func(context.Context) error) {
	c.names = append(c.names, name)
	c.fns = append(c.fns, fn)
}

func (c *cleanupStack) run(logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for i := len(c.fns) - 1; i >= 0; i-- {
		start := time.Now()
		if err := c.fns[i](ctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("shutdown step failed", "step", c.names[i], "err", err)
			continue
		}
		logger.Debug("shutdown step done", "step", c.names[i], "took", time.Since(start))
	}
}

func newLogger(cfg LogConfig, level *slog.LevelVar, w io.Writer) *slog.Logger {
	level.Set(mustLevel(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// mustLevel parses a level that validate already accepted.
func mustLevel(s string) slog.Level {
	l, _ := parseLevel(s)
	return l
}
