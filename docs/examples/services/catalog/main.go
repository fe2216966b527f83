// The example catalog: a product list over HTTP, health at /healthz.
package main

import (
	"net/http"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("/products", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`[{"id":"espresso"},{"id":"filter"}]`))
	})
	http.ListenAndServe(":8080", mux)
}
