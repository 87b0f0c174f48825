#!/usr/bin/env python3
"""make_derived.py - writes derived_records.jsonl: Defender records for the categories and
ActionTypes that ../shared/samples lack (schemas.md §6: Antivirus, Scriptblock, Persistence,
Thread Injection, API Call, Management account/group rows, firewall Netflow, ...).

They are built the way reference/ocsf_examples/ builds its "derived" examples: each
DeviceEvents record reuses test-device.log line 1 (the DpapiAccessed row: device and
initiating-process columns) and replaces ActionType and the event columns. Column and
AdditionalFields key names follow defender.md (the [I] keys of schemas.md). Alert rows
reuse test-alert.log lines 1 and 2. Local test data only (the samples are ELv2 fixtures).
The output is checked in; golden/derived_records.ndjson holds its expected OCSF events.
Usage: make_derived.py SHARED_DIR > derived_records.jsonl
"""
import json, os, sys

S = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../../shared")
E = os.path.join(S, "samples", "elastic")
dev = json.loads(open(os.path.join(E, "test-device.log")).readline())
alert_lines = [json.loads(l) for l in open(os.path.join(E, "test-alert.log")) if l.strip()]
ev, info = alert_lines[0], alert_lines[1]

def derive(base, **props):
    r = json.loads(json.dumps(base))
    af = props.pop("AF", None)
    if af is not None:
        props["AdditionalFields"] = json.dumps(af) if af != "" else None
    r["properties"].update(props)
    return r

def de(action, **props):
    props.setdefault("AF", "")
    return derive(dev, ActionType=action, **props)

TARGET = dict(ProcessId=7312, FileName="notepad.exe", FolderPath="C:\\Windows\\System32\\notepad.exe",
              ProcessCommandLine="\"notepad.exe\"", ProcessCreationTime="2022-11-07T17:05:12.1234567Z",
              FileSize=None)
recs = [
    # Antivirus (§3.10)
    de("AntivirusDetection", FileName="invoice.exe", FileSize=None,
       FolderPath="C:\\Users\\administrator1\\Downloads\\invoice.exe",
       SHA1="9DEC87DE894F5228033F87CF874441502BFA4F97",
       SHA256="8011a5f4ac65d85cbe593bdad886449e3807d950b234e77c675a0f7ca3b7c781",
       AF={"ThreatName": "Trojan:Win32/Wacatac.B!ml", "WasRemediated": True,
           "WasExecutingWhileDetected": False}),
    de("AntivirusDetection", FileName="dropper.js", FolderPath="C:\\Users\\Public\\dropper.js",
       AF={"ThreatName": "TrojanDownloader:JS/Nemucod", "WasRemediated": "false"}),
    de("AntivirusMalwareBlocked", FileName="svc.dll", FolderPath="C:\\Temp\\svc.dll",
       MD5="0123456789abcdef0123456789abcdef", AF={"ThreatName": "Backdoor:Win32/Bladabindi"}),
    de("AntivirusMalwareActionFailed", FileName="locker.exe", FolderPath="D:\\locker.exe",
       AF={"ThreatName": "Ransom:Win32/WannaCrypt", "Severity": "High"}),
    de("AntivirusReport", FileName="mimikatz.exe", FolderPath="C:\\tools\\mimikatz.exe",
       AF={"ThreatName": "HackTool:Win32/Mimikatz"}),
    de("AntivirusReport", AF={"ThreatName": "EICAR_Test_File"}),
    de("AntivirusScanCompleted", AF={"ScanTypeIndex": "Quick"}),
    # Scriptblock (§3.12)
    de("PowerShellCommand", AF={"Command": "Get-ItemProperty"}),
    de("ScriptContent", FileName="setup.ps1", FolderPath="C:\\Temp\\setup.ps1",
       SHA256="bd914e55d55a31b7bdc95fa617f9925ff3eba703afd7a8b70cea18dcae512345",
       AF={"ScriptContent": "Invoke-WebRequest http://example.com/a -OutFile a.exe"}),
    de("PowerShellCommand"),
    # Thread Injection
    de("CreateRemoteThreadApiCall", **TARGET),
    de("QueueUserApcRemoteApiCall", **TARGET),
    de("SetThreadContextRemoteApiCall", **TARGET),
    # API Call
    de("OpenProcessApiCall", ProcessId=700, FileName="lsass.exe",
       FolderPath="C:\\Windows\\System32\\lsass.exe", FileSize=None, AF={"DesiredAccess": "0x1410"}),
    de("NtAllocateVirtualMemoryRemoteApiCall", **TARGET,
       AF={"BaseAddress": "0x1f0000", "RegionSize": 4096}),
    de("ReadProcessMemoryApiCall", AF={"BaseAddress": 2031616}),
    de("WriteToLsassProcessMemory", ProcessId=700, FileName="lsass.exe", FileSize=None),
    de("NtMapViewOfSectionRemoteApiCall", **TARGET),
    de("NtProtectVirtualMemoryApiCall"),
    de("GetAsyncKeyStateApiCall"),
    # Persistence
    de("ScheduledTaskCreated", AF={"TaskName": "\\Microsoft\\Windows\\Updater",
                                   "TaskContent": "<Task>...</Task>"}),
    de("ScheduledTaskDisabled", AF={"TaskName": "\\Updater"}),
    de("ScheduledTaskDeleted", AF={"TaskContent": "<Task/>"}),
    de("ServiceInstalled", FileName="updsvc.exe", FolderPath="C:\\ProgramData\\upd\\updsvc.exe",
       FileSize=None, AF={"ServiceName": "updsvc", "ServiceAccount": "LocalSystem",
                          "ServiceStartType": 2, "ServiceType": 16}),
    de("ServiceInstalled", AF={"ServiceName": "odd", "ServiceStartType": "Manual"}),
    de("WmiBindEventFilterToConsumer", AF={"Namespace": "root\\subscription",
                                           "ESS": "__EventFilter"}),
    # Management: account and group lifecycle
    de("UserAccountCreated", AccountName="backdoor1", AccountDomain="testmachine5",
       AccountSid="S-1-5-21-375308137-164487297-2828222098-1005"),
    de("UserAccountDeleted", AccountSid="S-1-5-21-375308137-164487297-2828222098-1005"),
    de("UserAccountModified", AccountName="backdoor1", AF={"AccountControl": "Enabled"}),
    de("PasswordChangeAttempt", AccountName="administrator1", AccountDomain="testmachine5"),
    de("UserAccountAddedToLocalGroup", AccountSid="S-1-5-21-375308137-164487297-2828222098-1005",
       AF={"GroupName": "Administrators", "GroupDomainName": "Builtin", "GroupSid": "S-1-5-32-544"}),
    de("UserAccountRemovedFromLocalGroup", AccountName="backdoor1", AF={"GroupName": "Users"}),
    de("UserAccountAddedToLocalGroup", AccountName="backdoor1"),
    de("SecurityGroupCreated", AF={"GroupName": "Ops", "GroupSid": "S-1-5-21-1-2-3-1110"}),
    de("SecurityGroupDeleted", AF={"GroupName": "Ops"}),
    de("UserAccountCreated"),
    # DNS, Netflow, File, Process rows of DeviceEvents
    de("DnsQueryResponse", AF={"DnsQueryString": "example.com",
                               "DnsQueryResult": [{"DnsQueryType": "A", "Address": "93.184.216.34"}]}),
    de("DnsQueryResponse", LocalIP="10.0.0.5", AF={"DnsQueryString": "example.org"}),
    de("FirewallInboundConnectionBlocked", RemoteIP="81.2.69.142", RemotePort=51234,
       LocalIP="10.0.0.5", LocalPort=445),
    de("FirewallOutboundConnectionBlocked", RemoteIP="175.16.199.1", RemotePort=443,
       LocalIP="10.0.0.5", LocalPort=50000),
    de("ExploitGuardNetworkProtectionBlocked", RemoteIP="175.16.199.2", RemotePort=80,
       RemoteUrl="http://bad.example.com/payload.exe"),
    de("ExploitGuardNetworkProtectionAudited", RemoteIP="175.16.199.3",
       RemoteUrl="https://audit.example.com/"),
    de("FirewallInboundConnectionBlocked", LocalIP="10.0.0.5", LocalPort=445),
    de("ShellLinkCreateFileEvent", FileName="report.lnk",
       FolderPath="C:\\Users\\administrator1\\Desktop\\report.lnk"),
    de("FileTimestampModified", FileName="a.txt", FolderPath="C:\\Temp\\a.txt"),
    de("ProcessCreatedUsingWmiQuery", **TARGET, AccountName="administrator1"),
    de("SecurityLogCleared"),
    # Alerts
    derive(info, Severity="High", Title="Suspicious PowerShell", Category="Execution",
           AttackTechniques=json.dumps(["Command and Scripting Interpreter (T1059)",
                                        "PowerShell (T1059.001)", "Scheduled Task/Job (T1053)",
                                        "not a technique"])),
    derive(info, Severity="Unexpected", AttackTechniques=["Phishing (T1566)"]),
    derive(ev, EntityType="Process", ProcessCommandLine="powershell.exe -enc AAAA",
           FileName="powershell.exe", FolderPath="C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
           AdditionalFields=json.dumps({"$id": "2", "ProcessId": "1960", "Type": "process"}),
           Categories=json.dumps(["Execution"]), Title="Suspicious PowerShell",
           AttackTechniques=json.dumps(["PowerShell (T1059.001)"])),
    derive(ev, EntityType="Ip", EvidenceDirection="Source", RemoteIP="81.2.69.142",
           FileName=None, FolderPath=None, SHA1=None, SHA256=None, FileSize=None),
    derive(ev, EntityType="Ip", FileName=None, FolderPath=None, SHA1=None, SHA256=None,
           FileSize=None, AccountName=None, AccountDomain=None, AccountSid=None,
           AccountObjectId=None),
    derive(ev, EntityType="Url", RemoteUrl="http://bad.example.com/x", FileName=None,
           FolderPath=None, SHA1=None, SHA256=None, FileSize=None),
    derive(ev, EntityType="RegistryValue", RegistryKey="HKEY_LOCAL_MACHINE\\SOFTWARE\\Run",
           RegistryValueName="upd", RegistryValueData="C:\\upd.exe", FileName=None,
           FolderPath=None, SHA1=None, SHA256=None, FileSize=None),
    derive(ev, EntityType="RegistryKey", RegistryKey="HKEY_LOCAL_MACHINE\\SOFTWARE\\Run",
           FileName=None, FolderPath=None, SHA1=None, SHA256=None, FileSize=None),
    derive(ev, EntityType="Machine", FileName=None, FolderPath=None, SHA1=None, SHA256=None,
           FileSize=None),
    derive(ev, EntityType="User", FileName=None, FolderPath=None, SHA1=None, SHA256=None,
           FileSize=None),
    derive(ev, EntityType="MailMessage", FileName=None, FolderPath=None, SHA1=None,
           SHA256=None, FileSize=None, AccountName=None, AccountDomain=None, AccountSid=None,
           AccountObjectId=None, NetworkMessageId="abc-123"),
]
for r in recs:
    print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
