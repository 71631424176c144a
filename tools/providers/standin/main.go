package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// schemaPath is schema.json beside the executable, or $SCIPLAT_STANDIN_SCHEMA.
func schemaPath() (string, error) {
	if p := os.Getenv("SCIPLAT_STANDIN_SCHEMA"); p != "" {
		return p, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Join(filepath.Dir(exe), "schema.json"), nil
}

func main() {
	path, err := schemaPath()
	if err == nil {
		var schema *providerSchema
		schema, err = loadSchema(path)
		if err == nil {
			if len(os.Args) > 1 && os.Args[1] == "--summary" {
				fmt.Printf("%s: %d resources, %d data sources\n", schema.address,
					len(schema.resources), len(schema.dataSources))
				return
			}
			err = tf6server.Serve(schema.address, func() tfprotov6.ProviderServer {
				return &server{schema: schema}
			})
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "schema-only provider: %v\n", err)
		os.Exit(1)
	}
}
