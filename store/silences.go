package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Silences hold back the notifications of the alerts they match; the
// alerts are still recorded and shown.
//
//	silences   id -> Silence JSON
var bucketSilences = []byte("silences")

// Silence events. Data: Silence.
const (
	EventSilence        = "silence"         // created or changed
	EventSilenceDeleted = "silence.deleted" // removed before it ran out
)

// Matcher is one condition of a silence: the alert's field (rule, brand,
// source or severity) equals the value.
type Matcher struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Silence mutes the alerts that match all its matchers until Until.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []Matcher `json:"matchers"`
	Until     time.Time `json:"until"`
	Comment   string    `json:"comment"`
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
}

// PutSilence stores a silence, giving it an id when it has none, and
// records an event.
func (s *Store) PutSilence(si Silence) (Silence, error) {
	if len(si.Matchers) == 0 {
		return si, errors.New("put silence: no matchers")
	}
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		b := tx.Bucket(bucketSilences)
		if si.ID == "" {
			n, err := b.NextSequence()
			if err != nil {
				return err
			}
			si.ID = "s" + strconv.FormatUint(n, 10)
		}
		if si.CreatedAt.IsZero() {
			si.CreatedAt = ev.now
		}
		data, err := json.Marshal(&si)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(si.ID), data); err != nil {
			return err
		}
		return ev.add(EventSilence, data)
	})
	return si, err
}

// Silences returns every stored silence, expired ones included, oldest
// first.
func (s *Store) Silences() ([]Silence, error) {
	var out []Silence
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSilences).ForEach(func(k, v []byte) error {
			var si Silence
			if err := json.Unmarshal(v, &si); err != nil {
				return fmt.Errorf("decode silence %s: %w", k, err)
			}
			out = append(out, si)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// DeleteSilence removes a silence; an unknown id is ErrNotFound.
func (s *Store) DeleteSilence(id string) (Silence, error) {
	var si Silence
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		b := tx.Bucket(bucketSilences)
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("silence %q: %w", id, ErrNotFound)
		}
		if err := json.Unmarshal(v, &si); err != nil {
			return fmt.Errorf("decode silence %s: %w", id, err)
		}
		data := append([]byte(nil), v...)
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
		return ev.add(EventSilenceDeleted, data)
	})
	return si, err
}
