@echo off
rem Runs the orchestrate controller on Windows, building it first when the jar is missing.
rem After pulling new sources, rebuild with: mvn -B -DskipTests package
setlocal
set "HERE=%~dp0"
set "JAR=%HERE%controller\target\orchestrate.jar"
where java >nul 2>nul || (echo orchestrate: java is not on PATH; install a JDK 17 or later 1>&2 & exit /b 4)
if not exist "%JAR%" (
  where mvn >nul 2>nul || (echo orchestrate: mvn is not on PATH; install Maven 1>&2 & exit /b 4)
  echo orchestrate: building ^(first use; takes a minute^)... 1>&2
  call mvn -B -q -f "%HERE%pom.xml" -DskipTests package > "%TEMP%\orchestrate-build.log" 2>&1
  if errorlevel 1 (
    type "%TEMP%\orchestrate-build.log" 1>&2
    echo orchestrate: the build failed ^(log above^) 1>&2
    exit /b 4
  )
)
java -jar "%JAR%" %*
exit /b %ERRORLEVEL%
