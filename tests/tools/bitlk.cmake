# wr-bitlk-fixture: BitLocker test volumes with real NTFS contents (tests/tools/bitlk-*.c).
# Links libcryptsetup, libntfs-3g and libcrypto directly, not the winrescue library.
pkg_check_modules(WR_BITLK_CRYPTO REQUIRED IMPORTED_TARGET libcrypto)
add_executable(wr-bitlk-fixture
  ${CMAKE_CURRENT_LIST_DIR}/bitlk-fixture.c
  ${CMAKE_CURRENT_LIST_DIR}/bitlk-volume.c
  ${CMAKE_CURRENT_LIST_DIR}/bitlk-sector.c
  ${CMAKE_CURRENT_LIST_DIR}/bitlk-ntfs.c)
target_link_libraries(wr-bitlk-fixture PRIVATE
  PkgConfig::CRYPTSETUP PkgConfig::NTFS3G PkgConfig::WR_BITLK_CRYPTO)
