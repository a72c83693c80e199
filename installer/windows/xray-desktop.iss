; Inno Setup 6 script: per-machine installer for the one-folder bundle dist\XRayDesktop\ (built by `make bundle`
; on Windows). It cannot be built on the Linux CI; build it on a Windows machine with Inno Setup 6.3 or later:
;
;   iscc /DAppVersion=0.1.0 installer\windows\xray-desktop.iss
;       -> dist\xray-desktop-0.1.0-setup.exe
;
; Silent install (no window, no questions, no reboot), with a log for IT:
;   xray-desktop-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /LOG="C:\Windows\Temp\xray-desktop-install.log"
; Optional switches: /DIR="D:\Apps\XRay Desktop"   /TASKS="sharedmodels,desktopicon"   (default tasks: none)
;   sharedmodels  keep models in C:\ProgramData\XRayDesktop\models (writable by Administrators, survives upgrades)
;                 and set the machine-wide environment variable XRAY_DESKTOP_MODELS to it
; Silent uninstall:
;   "C:\Program Files\XRay Desktop\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; Uninstall removes the program folder and menu entries only; users' data (%LOCALAPPDATA%\XRayDesktop) and the
; shared models folder are left in place on purpose (audit log, history, imported models). See docs\it-guide.md.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "XRay Desktop"
#define BundleDir "..\..\dist\XRayDesktop"

[Setup]
; AppId identifies the product for upgrades and uninstall: never change it between versions.
AppId={{6F4D8C2A-3B1E-4E7A-9C55-2D8F0A7B1E43}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=XRayDesktop
AppComments=Research and teaching use only - not a medical device
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-machine install: needs elevation, writes to Program Files and the all-users Start menu.
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=xray-desktop-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\xray-desktop.ico
UninstallDisplayIcon={app}\xray-desktop.exe
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes
SetupLogging=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"; Flags: unchecked
Name: "sharedmodels"; Description: "Keep models in C:\ProgramData\XRayDesktop\models (needed to import model packages without running as administrator; see the IT guide)"; GroupDescription: "Models:"; Flags: unchecked

[Files]
; The whole bundle: both executables and _internal\ (Python, TensorFlow, Qt, resources, shipped models).
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\..\docs\it-guide.md"; DestDir: "{app}"; DestName: "IT-GUIDE.txt"; Flags: ignoreversion
; Shared models folder: the shipped model files are refreshed on every install, but an existing registry.json
; (which records imported models and the active choice per task) is never overwritten.
Source: "{#BundleDir}\_internal\models\*"; Excludes: "registry.json"; DestDir: "{commonappdata}\XRayDesktop\models"; Flags: ignoreversion recursesubdirs createallsubdirs skipifsourcedoesntexist uninsneveruninstall; Tasks: sharedmodels
Source: "{#BundleDir}\_internal\models\registry.json"; DestDir: "{commonappdata}\XRayDesktop\models"; Flags: onlyifdoesntexist uninsneveruninstall skipifsourcedoesntexist; Tasks: sharedmodels

[Dirs]
Name: "{commonappdata}\XRayDesktop\models"; Permissions: admins-full; Flags: uninsneveruninstall; Tasks: sharedmodels

[Registry]
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: string; ValueName: "XRAY_DESKTOP_MODELS"; ValueData: "{commonappdata}\XRayDesktop\models"; Flags: uninsdeletevalue; Tasks: sharedmodels

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\xray-desktop.exe"; WorkingDir: "{app}"; Comment: "Offline X-ray analysis (research and teaching only)"
; The self-test runs in a console that stays open (cmd /k) so the pass/fail table can be read.
Name: "{group}\{#AppName} Self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\xray-desktop-cli.exe"" self-test"; WorkingDir: "{app}"; IconFilename: "{app}\xray-desktop.exe"; Comment: "Check models and sample cases"
Name: "{group}\IT guide"; Filename: "{app}\IT-GUIDE.txt"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\xray-desktop.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\xray-desktop.exe"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Python byte-code caches written next to the program at run time, if any.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
