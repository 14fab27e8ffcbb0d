"""Host-side provisioning client for wifiprov and other ESP provisioning devices (esp_prov compatible)."""
