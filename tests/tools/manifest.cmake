# wr-ntfs-manifest: every file of an NTFS image with its size and SHA-256, read
# through libntfs-3g directly (the independent view the fix tests compare).
pkg_check_modules(WR_MANIFEST_CRYPTO REQUIRED IMPORTED_TARGET libcrypto)
add_executable(wr-ntfs-manifest ${CMAKE_CURRENT_LIST_DIR}/manifest.c)
target_link_libraries(wr-ntfs-manifest PRIVATE PkgConfig::NTFS3G PkgConfig::WR_MANIFEST_CRYPTO)
