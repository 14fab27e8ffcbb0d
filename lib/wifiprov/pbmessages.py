"""Message tables for pbcodec, generated from proto/ by scripts/gen_proto.py. Do not edit."""

from micropython import const

# Field kinds, as in pbcodec.
K_UINT = const(0)
K_INT32 = const(1)
K_BOOL = const(2)
K_BYTES = const(3)
K_STRING = const(4)
K_MSG = const(5)
REPEATED = const(8)

# Enum values (proto3 without a package: every value name is unique).
# Status (constants.proto)
Success = const(0)
InvalidSecScheme = const(1)
InvalidProto = const(2)
TooManySessions = const(3)
InvalidArgument = const(4)
InternalError = const(5)
CryptoError = const(6)
InvalidSession = const(7)
# Sec0MsgType (sec0.proto)
S0_Session_Command = const(0)
S0_Session_Response = const(1)
# Sec1MsgType (sec1.proto)
Session_Command0 = const(0)
Session_Response0 = const(1)
Session_Command1 = const(2)
Session_Response1 = const(3)
# Sec2MsgType (sec2.proto)
S2Session_Command0 = const(0)
S2Session_Response0 = const(1)
S2Session_Command1 = const(2)
S2Session_Response1 = const(3)
# SecSchemeVersion (session.proto)
SecScheme0 = const(0)
SecScheme1 = const(1)
SecScheme2 = const(2)
# WiFiConfigMsgType (wifi_config.proto)
TypeCmdGetStatus = const(0)
TypeRespGetStatus = const(1)
TypeCmdSetConfig = const(2)
TypeRespSetConfig = const(3)
TypeCmdApplyConfig = const(4)
TypeRespApplyConfig = const(5)
# WifiStationState (wifi_constants.proto)
Connected = const(0)
Connecting = const(1)
Disconnected = const(2)
ConnectionFailed = const(3)
# WifiConnectFailedReason (wifi_constants.proto)
AuthError = const(0)
NetworkNotFound = const(1)
# WifiAuthMode (wifi_constants.proto)
Open = const(0)
WEP = const(1)
WPA_PSK = const(2)
WPA2_PSK = const(3)
WPA_WPA2_PSK = const(4)
WPA2_ENTERPRISE = const(5)
WPA3_PSK = const(6)
WPA2_WPA3_PSK = const(7)
# WiFiCtrlMsgType (wifi_ctrl.proto)
TypeCtrlReserved = const(0)
TypeCmdCtrlReset = const(1)
TypeRespCtrlReset = const(2)
TypeCmdCtrlReprov = const(3)
TypeRespCtrlReprov = const(4)
# WiFiScanMsgType (wifi_scan.proto)
TypeCmdScanStart = const(0)
TypeRespScanStart = const(1)
TypeCmdScanStatus = const(2)
TypeRespScanStatus = const(3)
TypeCmdScanResult = const(4)
TypeRespScanResult = const(5)

# Messages: (field number, name, kind, submessage table, oneof group or 0), by number.
CmdApplyConfig = ()
CmdCtrlReprov = ()
CmdCtrlReset = ()
CmdGetStatus = ()
CmdScanResult = (
    (1, 'start_index', K_UINT, None, 0),
    (2, 'count', K_UINT, None, 0),
)
CmdScanStart = (
    (1, 'blocking', K_BOOL, None, 0),
    (2, 'passive', K_BOOL, None, 0),
    (3, 'group_channels', K_UINT, None, 0),
    (4, 'period_ms', K_UINT, None, 0),
)
CmdScanStatus = ()
CmdSetConfig = (
    (1, 'ssid', K_BYTES, None, 0),
    (2, 'passphrase', K_BYTES, None, 0),
    (3, 'bssid', K_BYTES, None, 0),
    (4, 'channel', K_INT32, None, 0),
)
RespApplyConfig = (
    (1, 'status', K_INT32, None, 0),
)
RespCtrlReprov = ()
RespCtrlReset = ()
WifiConnectedState = (
    (1, 'ip4_addr', K_STRING, None, 0),
    (2, 'auth_mode', K_INT32, None, 0),
    (3, 'ssid', K_BYTES, None, 0),
    (4, 'bssid', K_BYTES, None, 0),
    (5, 'channel', K_INT32, None, 0),
)
WifiAttemptFailed = (
    (1, 'attempts_remaining', K_UINT, None, 0),
)
RespGetStatus = (
    (1, 'status', K_INT32, None, 0),
    (2, 'sta_state', K_INT32, None, 0),
    (10, 'fail_reason', K_INT32, None, 1),
    (11, 'connected', K_MSG, WifiConnectedState, 1),
    (12, 'attempt_failed', K_MSG, WifiAttemptFailed, 1),
)
WiFiScanResult = (
    (1, 'ssid', K_BYTES, None, 0),
    (2, 'channel', K_UINT, None, 0),
    (3, 'rssi', K_INT32, None, 0),
    (4, 'bssid', K_BYTES, None, 0),
    (5, 'auth', K_INT32, None, 0),
)
RespScanResult = (
    (1, 'entries', K_MSG | REPEATED, WiFiScanResult, 0),
)
RespScanStart = ()
RespScanStatus = (
    (1, 'scan_finished', K_BOOL, None, 0),
    (2, 'result_count', K_UINT, None, 0),
)
RespSetConfig = (
    (1, 'status', K_INT32, None, 0),
)
S0SessionCmd = ()
S0SessionResp = (
    (1, 'status', K_INT32, None, 0),
)
S2SessionCmd0 = (
    (1, 'client_username', K_BYTES, None, 0),
    (2, 'client_pubkey', K_BYTES, None, 0),
)
S2SessionCmd1 = (
    (1, 'client_proof', K_BYTES, None, 0),
)
S2SessionResp0 = (
    (1, 'status', K_INT32, None, 0),
    (2, 'device_pubkey', K_BYTES, None, 0),
    (3, 'device_salt', K_BYTES, None, 0),
)
S2SessionResp1 = (
    (1, 'status', K_INT32, None, 0),
    (2, 'device_proof', K_BYTES, None, 0),
    (3, 'device_nonce', K_BYTES, None, 0),
)
Sec0Payload = (
    (1, 'msg', K_INT32, None, 0),
    (20, 'sc', K_MSG, S0SessionCmd, 1),
    (21, 'sr', K_MSG, S0SessionResp, 1),
)
SessionCmd0 = (
    (1, 'client_pubkey', K_BYTES, None, 0),
)
SessionResp0 = (
    (1, 'status', K_INT32, None, 0),
    (2, 'device_pubkey', K_BYTES, None, 0),
    (3, 'device_random', K_BYTES, None, 0),
)
SessionCmd1 = (
    (2, 'client_verify_data', K_BYTES, None, 0),
)
SessionResp1 = (
    (1, 'status', K_INT32, None, 0),
    (3, 'device_verify_data', K_BYTES, None, 0),
)
Sec1Payload = (
    (1, 'msg', K_INT32, None, 0),
    (20, 'sc0', K_MSG, SessionCmd0, 1),
    (21, 'sr0', K_MSG, SessionResp0, 1),
    (22, 'sc1', K_MSG, SessionCmd1, 1),
    (23, 'sr1', K_MSG, SessionResp1, 1),
)
Sec2Payload = (
    (1, 'msg', K_INT32, None, 0),
    (20, 'sc0', K_MSG, S2SessionCmd0, 1),
    (21, 'sr0', K_MSG, S2SessionResp0, 1),
    (22, 'sc1', K_MSG, S2SessionCmd1, 1),
    (23, 'sr1', K_MSG, S2SessionResp1, 1),
)
SessionData = (
    (2, 'sec_ver', K_INT32, None, 0),
    (10, 'sec0', K_MSG, Sec0Payload, 1),
    (11, 'sec1', K_MSG, Sec1Payload, 1),
    (12, 'sec2', K_MSG, Sec2Payload, 1),
)
WiFiConfigPayload = (
    (1, 'msg', K_INT32, None, 0),
    (10, 'cmd_get_status', K_MSG, CmdGetStatus, 1),
    (11, 'resp_get_status', K_MSG, RespGetStatus, 1),
    (12, 'cmd_set_config', K_MSG, CmdSetConfig, 1),
    (13, 'resp_set_config', K_MSG, RespSetConfig, 1),
    (14, 'cmd_apply_config', K_MSG, CmdApplyConfig, 1),
    (15, 'resp_apply_config', K_MSG, RespApplyConfig, 1),
)
WiFiCtrlPayload = (
    (1, 'msg', K_INT32, None, 0),
    (2, 'status', K_INT32, None, 0),
    (11, 'cmd_ctrl_reset', K_MSG, CmdCtrlReset, 1),
    (12, 'resp_ctrl_reset', K_MSG, RespCtrlReset, 1),
    (13, 'cmd_ctrl_reprov', K_MSG, CmdCtrlReprov, 1),
    (14, 'resp_ctrl_reprov', K_MSG, RespCtrlReprov, 1),
)
WiFiScanPayload = (
    (1, 'msg', K_INT32, None, 0),
    (2, 'status', K_INT32, None, 0),
    (10, 'cmd_scan_start', K_MSG, CmdScanStart, 1),
    (11, 'resp_scan_start', K_MSG, RespScanStart, 1),
    (12, 'cmd_scan_status', K_MSG, CmdScanStatus, 1),
    (13, 'resp_scan_status', K_MSG, RespScanStatus, 1),
    (14, 'cmd_scan_result', K_MSG, CmdScanResult, 1),
    (15, 'resp_scan_result', K_MSG, RespScanResult, 1),
)
