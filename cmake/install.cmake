# cmake/install.cmake: what `cmake --install` puts where, the manual pages (made from
# docs/ at build time by lowdown, so they cannot drift from the docs), and the Debian
# package CPack builds (`cpack -G DEB` in the build directory).
include(GNUInstallDirs)

find_program(FD_LOWDOWN lowdown)
if(NOT FD_LOWDOWN)
    message(FATAL_ERROR "lowdown is needed to make the manual pages from docs/ "
                        "(apt install lowdown, or scripts/install-deps.sh)")
endif()

# name, section, source page, the NAME line when the source has none
set(FD_MANPAGES
    "firedrill|1|docs/firedrill.md|"
    "firedrill-scenario|5|docs/scenario.md|firedrill-scenario - the scenario language of firedrill drills"
    "firedrill-report|5|docs/report.md|firedrill-report - firedrill's run directory, report.json, history.jsonl and metrics")
set(FD_MAN_OUTPUTS)
foreach(entry IN LISTS FD_MANPAGES)
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 page)
    list(GET parts 1 section)
    list(GET parts 2 source)
    list(GET parts 3 nameline)
    string(TOUPPER "${page}" title)
    set(out ${CMAKE_BINARY_DIR}/man/${page}.${section})
    add_custom_command(
        OUTPUT ${out} ${out}.gz
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
        COMMAND awk -v "name=${nameline}" -f ${CMAKE_SOURCE_DIR}/cmake/manpage.awk
                ${CMAKE_SOURCE_DIR}/${source} > ${out}.md
        COMMAND ${FD_LOWDOWN} -s -Tman -M "title=${title}" -M "section=${section}"
                -M "source=firedrill ${PROJECT_VERSION}" -M "volume=firedrill manual"
                -o ${out} ${out}.md
        COMMAND gzip -9n -c ${out} > ${out}.gz
        DEPENDS ${CMAKE_SOURCE_DIR}/${source} ${CMAKE_SOURCE_DIR}/cmake/manpage.awk
        COMMENT "Manual page ${page}(${section}) from ${source}"
        VERBATIM)
    list(APPEND FD_MAN_OUTPUTS ${out})
    install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(manpages ALL DEPENDS ${FD_MAN_OUTPUTS})

install(TARGETS firedrill RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES completions/firedrill
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES docs/scenario.schema.json DESTINATION ${CMAKE_INSTALL_DATADIR}/firedrill)
file(GLOB FD_SHIPPED_DRILLS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scenarios/*.yaml)
install(FILES ${FD_SHIPPED_DRILLS} DESTINATION ${CMAKE_INSTALL_DATADIR}/firedrill/examples)
file(GLOB FD_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES README.md ${FD_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian package: its dependencies are the runtime libraries the binary links,
# found by dpkg-shlibdeps.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME firedrill)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "firedrill maintainers <maintainers@users.noreply.h-seed-79443775.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "chaos-testing and disaster-recovery drills over SSH")
set(CPACK_PACKAGE_DESCRIPTION
    "firedrill reads a drill written in YAML, connects to a cluster's hosts over SSH,
injects faults (kills, pauses, stopped services, network partitions, a lost
datacenter, dropped or delayed packets, full disks), measures failover time,
availability and lost acknowledged writes with probe clients, runs backup, copy,
restore and verify steps, always heals what it broke, and writes JSON, HTML,
Markdown and JUnit reports.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openssh-client")
set(CPACK_STRIP_FILES ON)
# what Debian policy asks of every package: its copyright and changelog
configure_file(${CMAKE_SOURCE_DIR}/packaging/copyright ${CMAKE_BINARY_DIR}/packaging/copyright COPYONLY)
add_custom_command(
    OUTPUT ${CMAKE_BINARY_DIR}/packaging/changelog.gz
    COMMAND gzip -9n -c ${CMAKE_SOURCE_DIR}/packaging/changelog > ${CMAKE_BINARY_DIR}/packaging/changelog.gz
    DEPENDS ${CMAKE_SOURCE_DIR}/packaging/changelog
    VERBATIM)
add_custom_target(changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/packaging/copyright ${CMAKE_BINARY_DIR}/packaging/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
include(CPack)
