"""Message tables for pbcodec, generated from proto/ by scripts/gen_proto.py. Do not edit."""

from micropython import const

# Field kinds, as in pbcodec (private: folded away when compiled).
_K_UINT = const(0)
_K_INT32 = const(1)
_K_BOOL = const(2)
_K_BYTES = const(3)
_K_STRING = const(4)
_K_MSG = const(5)
_REPEATED = const(8)

# Messages: (field number, name, kind, submessage table, oneof group or 0), by number.
CmdApplyConfig = ()
CmdCtrlReprov = ()
CmdCtrlReset = ()
CmdGetStatus = ()
CmdScanResult = (
    (1, 'start_index', _K_UINT, None, 0),
    (2, 'count', _K_UINT, None, 0),
)
CmdScanStart = (
    (1, 'blocking', _K_BOOL, None, 0),
    (2, 'passive', _K_BOOL, None, 0),
    (3, 'group_channels', _K_UINT, None, 0),
    (4, 'period_ms', _K_UINT, None, 0),
)
CmdScanStatus = ()
CmdSetConfig = (
    (1, 'ssid', _K_BYTES, None, 0),
    (2, 'passphrase', _K_BYTES, None, 0),
    (3, 'bssid', _K_BYTES, None, 0),
    (4, 'channel', _K_INT32, None, 0),
)
RespApplyConfig = (
    (1, 'status', _K_INT32, None, 0),
)
RespCtrlReprov = ()
RespCtrlReset = ()
WifiConnectedState = (
    (1, 'ip4_addr', _K_STRING, None, 0),
    (2, 'auth_mode', _K_INT32, None, 0),
    (3, 'ssid', _K_BYTES, None, 0),
    (4, 'bssid', _K_BYTES, None, 0),
    (5, 'channel', _K_INT32, None, 0),
)
WifiAttemptFailed = (
    (1, 'attempts_remaining', _K_UINT, None, 0),
)
RespGetStatus = (
    (1, 'status', _K_INT32, None, 0),
    (2, 'sta_state', _K_INT32, None, 0),
    (10, 'fail_reason', _K_INT32, None, 1),
    (11, 'connected', _K_MSG, WifiConnectedState, 1),
    (12, 'attempt_failed', _K_MSG, WifiAttemptFailed, 1),
)
WiFiScanResult = (
    (1, 'ssid', _K_BYTES, None, 0),
    (2, 'channel', _K_UINT, None, 0),
    (3, 'rssi', _K_INT32, None, 0),
    (4, 'bssid', _K_BYTES, None, 0),
    (5, 'auth', _K_INT32, None, 0),
)
RespScanResult = (
    (1, 'entries', _K_MSG | _REPEATED, WiFiScanResult, 0),
)
RespScanStart = ()
RespScanStatus = (
    (1, 'scan_finished', _K_BOOL, None, 0),
    (2, 'result_count', _K_UINT, None, 0),
)
RespSetConfig = (
    (1, 'status', _K_INT32, None, 0),
)
S0SessionCmd = ()
S0SessionResp = (
    (1, 'status', _K_INT32, None, 0),
)
S2SessionCmd0 = (
    (1, 'client_username', _K_BYTES, None, 0),
    (2, 'client_pubkey', _K_BYTES, None, 0),
)
S2SessionCmd1 = (
    (1, 'client_proof', _K_BYTES, None, 0),
)
S2SessionResp0 = (
    (1, 'status', _K_INT32, None, 0),
    (2, 'device_pubkey', _K_BYTES, None, 0),
    (3, 'device_salt', _K_BYTES, None, 0),
)
S2SessionResp1 = (
    (1, 'status', _K_INT32, None, 0),
    (2, 'device_proof', _K_BYTES, None, 0),
    (3, 'device_nonce', _K_BYTES, None, 0),
)
Sec0Payload = (
    (1, 'msg', _K_INT32, None, 0),
    (20, 'sc', _K_MSG, S0SessionCmd, 1),
    (21, 'sr', _K_MSG, S0SessionResp, 1),
)
SessionCmd0 = (
    (1, 'client_pubkey', _K_BYTES, None, 0),
)
SessionResp0 = (
    (1, 'status', _K_INT32, None, 0),
    (2, 'device_pubkey', _K_BYTES, None, 0),
    (3, 'device_random', _K_BYTES, None, 0),
)
SessionCmd1 = (
    (2, 'client_verify_data', _K_BYTES, None, 0),
)
SessionResp1 = (
    (1, 'status', _K_INT32, None, 0),
    (3, 'device_verify_data', _K_BYTES, None, 0),
)
Sec1Payload = (
    (1, 'msg', _K_INT32, None, 0),
    (20, 'sc0', _K_MSG, SessionCmd0, 1),
    (21, 'sr0', _K_MSG, SessionResp0, 1),
    (22, 'sc1', _K_MSG, SessionCmd1, 1),
    (23, 'sr1', _K_MSG, SessionResp1, 1),
)
Sec2Payload = (
    (1, 'msg', _K_INT32, None, 0),
    (20, 'sc0', _K_MSG, S2SessionCmd0, 1),
    (21, 'sr0', _K_MSG, S2SessionResp0, 1),
    (22, 'sc1', _K_MSG, S2SessionCmd1, 1),
    (23, 'sr1', _K_MSG, S2SessionResp1, 1),
)
SessionData = (
    (2, 'sec_ver', _K_INT32, None, 0),
    (10, 'sec0', _K_MSG, Sec0Payload, 1),
    (11, 'sec1', _K_MSG, Sec1Payload, 1),
    (12, 'sec2', _K_MSG, Sec2Payload, 1),
)
WiFiConfigPayload = (
    (1, 'msg', _K_INT32, None, 0),
    (10, 'cmd_get_status', _K_MSG, CmdGetStatus, 1),
    (11, 'resp_get_status', _K_MSG, RespGetStatus, 1),
    (12, 'cmd_set_config', _K_MSG, CmdSetConfig, 1),
    (13, 'resp_set_config', _K_MSG, RespSetConfig, 1),
    (14, 'cmd_apply_config', _K_MSG, CmdApplyConfig, 1),
    (15, 'resp_apply_config', _K_MSG, RespApplyConfig, 1),
)
WiFiCtrlPayload = (
    (1, 'msg', _K_INT32, None, 0),
    (2, 'status', _K_INT32, None, 0),
    (11, 'cmd_ctrl_reset', _K_MSG, CmdCtrlReset, 1),
    (12, 'resp_ctrl_reset', _K_MSG, RespCtrlReset, 1),
    (13, 'cmd_ctrl_reprov', _K_MSG, CmdCtrlReprov, 1),
    (14, 'resp_ctrl_reprov', _K_MSG, RespCtrlReprov, 1),
)
WiFiScanPayload = (
    (1, 'msg', _K_INT32, None, 0),
    (2, 'status', _K_INT32, None, 0),
    (10, 'cmd_scan_start', _K_MSG, CmdScanStart, 1),
    (11, 'resp_scan_start', _K_MSG, RespScanStart, 1),
    (12, 'cmd_scan_status', _K_MSG, CmdScanStatus, 1),
    (13, 'resp_scan_status', _K_MSG, RespScanStatus, 1),
    (14, 'cmd_scan_result', _K_MSG, CmdScanResult, 1),
    (15, 'resp_scan_result', _K_MSG, RespScanResult, 1),
)
