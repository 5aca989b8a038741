package store

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// UpdateAlert changes a stored alert in one transaction (so a change made
// meanwhile by another writer is not overwritten) and records an alert
// event when fn changed it. An unknown id is ErrNotFound; an error from
// fn is returned as it is and nothing is written.
func (s *Store) UpdateAlert(id string, fn func(*Alert) error) (Alert, error) {
	var a Alert
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		var err error
		a, err = updateAlert(tx, ev, id, fn)
		return err
	})
	return a, err
}

// UpdateAlerts is UpdateAlert for many alerts in one transaction (one
// disk sync); ids not stored are skipped. It returns the alerts as they
// are after fn, by id. An error from fn stops and writes nothing.
func (s *Store) UpdateAlerts(ids []string, fn func(*Alert) error) (map[string]Alert, error) {
	var out map[string]Alert
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		out = make(map[string]Alert, len(ids))
		for _, id := range ids {
			a, err := updateAlert(tx, ev, id, fn)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out[id] = a
		}
		return nil
	})
	return out, err
}

func updateAlert(tx *bolt.Tx, ev *eventWriter, id string, fn func(*Alert) error) (Alert, error) {
	var a Alert
	err := func() error {
		b := tx.Bucket(bucketAlerts)
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("alert %q: %w", id, ErrNotFound)
		}
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("decode alert %s: %w", id, err)
		}
		if err := fn(&a); err != nil {
			return err
		}
		data, err := json.Marshal(&a)
		if err != nil {
			return err
		}
		if string(data) == string(v) {
			return nil
		}
		if err := b.Put([]byte(id), data); err != nil {
			return err
		}
		return ev.add(EventAlert, data)
	}()
	return a, err
}
