@echo off
rem winrescue: finish the keyless repair inside Windows. After `winrescue safe-mode`,
rem start Windows (Safe Mode), open a Command Prompt AS ADMINISTRATOR, run this file.
rem The log goes beside this file on the stick, one per computer.
set "LOG=%~dp0repair-%COMPUTERNAME%.log"
set "CS=%SystemRoot%\System32\drivers\CrowdStrike"
echo %DATE% %TIME% %COMPUTERNAME%>>"%LOG%"
rem 1. The same rule as winrescue: C-00000291*.sys in that one folder (listed, then deleted).
dir /b /a:-d "%CS%\C-00000291*.sys">>"%LOG%" 2>&1
del /f /q /a:-d "%CS%\C-00000291*.sys">>"%LOG%" 2>&1
rem 2. Take Safe Mode back out of the boot configuration: Windows starts normally next time.
bcdedit /deletevalue {default} safeboot>>"%LOG%" 2>&1
rem 3. Show the log; then restart: shutdown /r /t 0
type "%LOG%"
