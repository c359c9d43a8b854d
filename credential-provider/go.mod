module berth.dev/credential-provider

go 1.22
