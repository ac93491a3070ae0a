#include "enrollment/qr_code.hpp"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

namespace profo::host {

namespace {

constexpr int kQuietZone = 4;

}  // namespace

QrCode::QrCode(std::string_view text) {
    if (text.empty()) throw std::invalid_argument("a QR code needs some text");
    const std::string terminated(text);  // libqrencode reads a C string
    // Byte mode keeps the text exactly as given (case and all), whatever it holds.
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString8bit(terminated.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
    if (!code)
        throw std::invalid_argument("the text (" + std::to_string(text.size()) +
                                    " bytes) does not fit a QR code");
    size_ = code->width;
    modules_.resize(static_cast<std::size_t>(size_) * static_cast<std::size_t>(size_));
    for (std::size_t i = 0; i < modules_.size(); ++i) modules_[i] = (code->data[i] & 1) != 0;
}

std::string QrCode::svg() const {
    const std::string side = std::to_string(size_ + 2 * kQuietZone);
    std::string out = R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )" + side + " " + side +
                      R"(" shape-rendering="crispEdges"><rect width=")" + side + R"(" height=")" + side +
                      R"(" fill="#fff"/><path fill="#000" d=")";
    // One rectangle per horizontal run of dark modules: a fraction of the
    // size of one square per module.
    for (int y = 0; y < size_; ++y) {
        for (int x = 0; x < size_;) {
            if (!dark(x, y)) {
                ++x;
                continue;
            }
            int run = 1;
            while (x + run < size_ && dark(x + run, y)) ++run;
            out += "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) + "h" +
                   std::to_string(run) + "v1h-" + std::to_string(run) + "z";
            x += run;
        }
    }
    out += R"("/></svg>)";
    return out;
}

}  // namespace profo::host
