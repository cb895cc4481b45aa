package codec

import (
	"encoding/json"
	"fmt"
	"sync"
)

type jsonCodec struct{}

func (jsonCodec) Name() string { return "json" }
func (jsonCodec) ID() byte     { return idJSON }

// jsonEncoder pairs a json.Encoder with the writer it was made for, so both are pooled together.
type jsonEncoder struct {
	w   appendWriter
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.w) // HTML escaping on, as json.Marshal
	return e
}}

func (c jsonCodec) Marshal(v any) (b []byte, err error) {
	defer recoverAs(&err, ErrEncode, "json")
	b, err = json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrEncode, err)
	}
	return b, nil
}

func (jsonCodec) appendMarshal(dst []byte, v any) (b []byte, err error) {
	defer recoverAs(&err, ErrEncode, "json")
	e := jsonEncoders.Get().(*jsonEncoder)
	e.w.b = dst
	err = e.enc.Encode(v)
	b, e.w.b = e.w.b, nil
	jsonEncoders.Put(e)
	if err != nil {
		return dst, fmt.Errorf("%w: json: %w", ErrEncode, err)
	}
	return b[:len(b)-1], nil // json.Encoder ends each value with a newline
}

func (jsonCodec) Unmarshal(data []byte, v any) (err error) {
	if err := checkTarget(v); err != nil {
		return err
	}
	defer recoverAs(&err, ErrCorrupt, "json")
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: json: %w", ErrCorrupt, err)
	}
	toUTC(utcJSON, v)
	return nil
}
