module kiosk-e2e/language-host

go 1.26.0
