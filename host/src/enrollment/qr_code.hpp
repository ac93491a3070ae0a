// Start links as QR codes, for posters, slides and handouts: the panel shows
// one per token. libqrencode makes the module matrix; it is drawn here as
// SVG, which scales to any print size.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace profo::host {

class QrCode {
public:
    // Error correction level M (15% of the code may be damaged). Throws
    // std::invalid_argument when `text` is empty or does not fit a code.
    explicit QrCode(std::string_view text);

    int size() const { return size_; }  // modules per side
    bool dark(int x, int y) const { return modules_[static_cast<std::size_t>(y * size_ + x)]; }

    // Black modules on white, with the four-module quiet zone scanners need.
    std::string svg() const;

private:
    int size_ = 0;
    std::vector<bool> modules_;
};

}  // namespace profo::host
